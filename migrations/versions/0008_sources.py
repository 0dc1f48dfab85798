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
    # Plain ADD COLUMNs and indexes: no table rebuild on SQLite (a rebuild would cascade-delete
    # the issues' history), so the (source, 受理编号) rule is a unique index, not a constraint.
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("external_ref", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("batch", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("handed_over_at", _UTC, nullable=True))
        batch.add_column(
            sa.Column(
                "import_run_id",
                sa.Integer(),
                sa.ForeignKey(
                    "import_runs.id", name="fk_issues_import_run_id", ondelete="SET NULL"
                ),
                nullable=True,
            )
        )
        batch.create_index("ix_issues_source", ["source"])
        batch.create_index("ix_issues_batch", ["batch"])
        batch.create_index("ix_issues_import_run_id", ["import_run_id"])
        batch.create_index("uq_issues_source_external_ref", ["source", "external_ref"], unique=True)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("issues") as batch:
        batch.drop_index("uq_issues_source_external_ref")
        batch.drop_index("ix_issues_import_run_id")
        batch.drop_index("ix_issues_batch")
        batch.drop_index("ix_issues_source")
        if not sqlite:
            batch.drop_constraint("fk_issues_import_run_id", type_="foreignkey")
        batch.drop_column("import_run_id")
        batch.drop_column("handed_over_at")
        batch.drop_column("batch")
        batch.drop_column("external_ref")
        batch.drop_column("source")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
    op.drop_index("ix_import_runs_file_sha256", table_name="import_runs")
    op.drop_index("ix_import_runs_source", table_name="import_runs")
    op.drop_table("import_runs")
