"""channels: evidence files from WeChat, notification outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.casework.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=True),
        sa.Column("media_id", sa.String(length=256), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("received_at", bot.casework.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stored_at", bot.casework.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_issue_id", ["issue_id"], unique=False)
        batch_op.create_index("ix_evidence_sender_id", ["sender_id"], unique=False)
        batch_op.create_index("ix_evidence_sha256", ["sha256"], unique=False)
        batch_op.create_index("uq_evidence_channel_msg", ["channel", "msg_id"], unique=True)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=True),
        sa.Column("ticket", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", bot.casework.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("via", sa.String(length=24), nullable=True),
        sa.Column("created_at", bot.casework.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", bot.casework.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_issue_id", ["issue_id"], unique=False)
        batch_op.create_index("ix_notifications_state", ["state"], unique=False)
        batch_op.create_index("ix_notifications_next_attempt_at", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("evidence")
