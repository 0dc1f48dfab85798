"""hotline work orders: call id, agent id and call start time on issues

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.casework.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_UTC = bot.casework.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMNs: no table rebuild on SQLite (a rebuild would cascade-delete history).
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("agent_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("call_started_at", _UTC, nullable=True))
        batch_op.create_index("ix_issues_call_id", ["call_id"], unique=False)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index("ix_issues_call_id")
        batch_op.drop_column("call_started_at")
        batch_op.drop_column("agent_id")
        batch_op.drop_column("call_id")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
