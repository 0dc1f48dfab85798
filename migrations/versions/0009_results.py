"""results of an issue for publication: 调查核实情况, 是否属实, 处理和整改情况, 责任人被处理情况

Captured when an issue is marked 办结 (bot/casework/results.py) and published in the
公开情况一览表 and on the 曝光台 (bot/casework/disclosure.py). The index serves the public list:
finished issues by the moment of 办结.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: no table rebuild on SQLite (a rebuild would cascade-delete history).
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("rectification", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("accountability", sa.Text(), nullable=True))
    op.create_index("ix_issues_status_resolved", "issues", ["status", "resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_issues_status_resolved", table_name="issues")
    for column in ("accountability", "rectification", "verdict", "verification"):
        if op.get_bind().dialect.name == "sqlite":
            # Native DROP COLUMN (SQLite >= 3.35): a batch would rebuild `issues`, dropping the
            # FTS triggers of 0005 and turning 0008's column REFERENCES into a table constraint.
            op.execute(f"ALTER TABLE issues DROP COLUMN {column}")
        else:
            op.drop_column("issues", column)
