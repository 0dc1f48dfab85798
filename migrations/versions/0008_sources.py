"""registration from every channel: an issue's source, 受理编号, batch and hand-over time; import runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.casework.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_UTC = bot.casework.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("finished_at", _UTC, nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("existing", sa.Integer(), nullable=False),
        sa.Column("attention", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_runs_source", "import_runs", ["source"])
    op.create_index("ix_import_runs_file_sha256", "import_runs", ["file_sha256"])
    # Plain ALTER TABLE … ADD COLUMN and CREATE INDEX, never batch mode: on SQLite a batch would
    # rebuild `issues`, dropping its full-text triggers (0005) and cascade-deleting its history.
    # Hence the (source, 受理编号) rule is a unique index, not a table constraint.
    op.add_column("issues", sa.Column("source", sa.String(length=16), nullable=True))
    op.add_column("issues", sa.Column("external_ref", sa.String(length=64), nullable=True))
    op.add_column("issues", sa.Column("batch", sa.String(length=32), nullable=True))
    op.add_column("issues", sa.Column("handed_over_at", _UTC, nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place (alembic would rebuild).
        op.execute(
            "ALTER TABLE issues ADD COLUMN import_run_id INTEGER "
            "REFERENCES import_runs (id) ON DELETE SET NULL"
        )
    else:
        op.add_column(
            "issues",
            sa.Column(
                "import_run_id",
                sa.Integer(),
                sa.ForeignKey(
                    "import_runs.id", name="fk_issues_import_run_id", ondelete="SET NULL"
                ),
                nullable=True,
            ),
        )
    op.create_index("ix_issues_source", "issues", ["source"])
    op.create_index("ix_issues_batch", "issues", ["batch"])
    op.create_index("ix_issues_import_run_id", "issues", ["import_run_id"])
    op.create_index(
        "uq_issues_source_external_ref", "issues", ["source", "external_ref"], unique=True
    )


def downgrade() -> None:
    for name in (
        "uq_issues_source_external_ref",
        "ix_issues_import_run_id",
        "ix_issues_batch",
        "ix_issues_source",
    ):
        op.drop_index(name, table_name="issues")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.drop_constraint("fk_issues_import_run_id", "issues", type_="foreignkey")
    for column in ("import_run_id", "handed_over_at", "batch", "external_ref", "source"):
        if sqlite:
            # Native DROP COLUMN (SQLite >= 3.35): no rebuild, so the FTS triggers stay.
            op.execute(f"ALTER TABLE issues DROP COLUMN {column}")
        else:
            op.drop_column("issues", column)
    op.drop_index("ix_import_runs_file_sha256", table_name="import_runs")
    op.drop_index("ix_import_runs_source", table_name="import_runs")
    op.drop_table("import_runs")
