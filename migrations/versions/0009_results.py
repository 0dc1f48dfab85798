"""results of an issue for publication: 调查核实情况, 是否属实, 处理和整改情况, 责任人被处理情况

Captured when an issue is marked 办结 (bot/casework/results.py) and published in the
公开情况一览表 and on the 曝光台 (bot/casework/disclosure.py). The index serves the public list:
finished issues by the moment of 办结.

Revision ID: 0009
Revises: 0007 (re-chained to 0008 when the branches are merged)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
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
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_column("accountability")
        batch_op.drop_column("rectification")
        batch_op.drop_column("verdict")
        batch_op.drop_column("verification")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
