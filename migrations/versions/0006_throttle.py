"""throttling and audit of guessing (console logins, status look-ups), known browsers, Open311 replays

- attempt_counters: failures per gate (account, address, ticket and conversation, ...), keyed
  by a SHA-256 so that no phone, address or sender id is stored (bot/casework/throttle.py).
- security_events: the audit trail of failed and refused attempts, and alerts for the office.
- staff_devices: browsers that logged in to an account before (hash of a random cookie).
- request_replays: fingerprints of recent Open311 POSTs, so a repeat returns the first ticket.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.casework.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_UTC = bot.casework.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attempt_counters",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", _UTC, nullable=False),
        sa.Column("last_at", _UTC, nullable=False),
        sa.Column("blocked_until", _UTC, nullable=True),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("alerted_at", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index("ix_attempt_counters_last_at", "attempt_counters", ["last_at"])
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("wait_s", sa.Integer(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_security_events_at", "security_events", ["at"])
    op.create_index("ix_security_events_kind", "security_events", ["kind"])
    op.create_index("ix_security_events_alert", "security_events", ["alert"])
    op.create_table(
        "staff_devices",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("last_used_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_staff_devices_user_id", "staff_devices", ["user_id"])
    op.create_index("ix_staff_devices_last_used_at", "staff_devices", ["last_used_at"])
    op.create_table(
        "request_replays",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("ticket", sa.String(length=24), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("fingerprint"),
    )
    op.create_index("ix_request_replays_created_at", "request_replays", ["created_at"])


def downgrade() -> None:
    op.drop_table("request_replays")
    op.drop_table("staff_devices")
    op.drop_table("security_events")
    op.drop_table("attempt_counters")
