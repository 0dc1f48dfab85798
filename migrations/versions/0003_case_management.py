"""case management: lifecycle, routing, deadlines, duplicates, staff accounts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.casework.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UTC = bot.casework.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("route_rule", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("category_tags", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("accept_due", _UTC, nullable=True))
        batch_op.add_column(sa.Column("handle_due", _UTC, nullable=True))
        batch_op.add_column(sa.Column("accepted_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("resolved_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("closed_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("result_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("satisfaction", sa.String(length=8), nullable=True))
        # Inline REFERENCES: SQLite adds it with ALTER TABLE, no table rebuild (a rebuild would
        # cascade-delete the status history through issue_events' foreign key).
        batch_op.add_column(
            sa.Column(
                "merged_into_id",
                sa.Integer(),
                sa.ForeignKey("issues.id", name="fk_issues_merged_into_id", ondelete="SET NULL"),
                nullable=True,
            ),
            inline_references=True,
        )
        batch_op.add_column(
            sa.Column("hotspot", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("duplicate_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_issues_department", ["department"], unique=False)
        batch_op.create_index("ix_issues_category_tags", ["category_tags"], unique=False)
        batch_op.create_index("ix_issues_handle_due", ["handle_due"], unique=False)
        batch_op.create_index("ix_issues_merged_into_id", ["merged_into_id"], unique=False)
        batch_op.create_index("ix_issues_hotspot", ["hotspot"], unique=False)
        batch_op.create_index("ix_issues_duplicate_count", ["duplicate_count"], unique=False)
        batch_op.create_index("ix_issues_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(
            "ix_issues_department_created", ["department", "created_at"], unique=False
        )
        batch_op.create_index("ix_issues_district_created", ["district", "created_at"], unique=False)

    # Issues filed before this migration: derive the search columns so filters find them.
    issues = sa.table(
        "issues",
        sa.column("id", sa.Integer()),
        sa.column("ticket", sa.String()),
        sa.column("categories", sa.JSON()),
        sa.column("phenomenon", sa.Text()),
        sa.column("address", sa.Text()),
        sa.column("polluter", sa.String()),
        sa.column("category_tags", sa.String()),
        sa.column("search_text", sa.Text()),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(issues)).mappings():
        cats = list(row["categories"] or [])
        text = " ".join(
            p for p in (row["ticket"], row["phenomenon"], row["address"], row["polluter"]) if p
        ).lower()
        conn.execute(
            issues.update()
            .where(issues.c.id == row["id"])
            .values(category_tags="|" + "|".join(cats) + "|" if cats else "", search_text=text)
        )

    op.create_table(
        "issue_field_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_issue_field_edits_issue_id", "issue_field_edits", ["issue_id"])

    op.create_table(
        "duplicate_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["issues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_duplicate_links_issue_id", "duplicate_links", ["issue_id"])
    op.create_index("ix_duplicate_links_other_id", "duplicate_links", ["other_id"])
    op.create_index("ix_duplicate_links_state", "duplicate_links", ["state"])

    op.create_table(
        "callback_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("done_at", _UTC, nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["issue_events.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_tasks_issue_id", "callback_tasks", ["issue_id"])
    op.create_index("ix_callback_tasks_created_at", "callback_tasks", ["created_at"])

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])


def downgrade() -> None:
    # Dropping columns rebuilds the table on SQLite; without this the rebuild's DROP TABLE
    # would cascade-delete every issue's status history.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
    op.drop_table("callback_tasks")
    op.drop_table("duplicate_links")
    op.drop_table("issue_field_edits")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        for name in (
            "ix_issues_district_created", "ix_issues_department_created",
            "ix_issues_status_created", "ix_issues_duplicate_count", "ix_issues_hotspot",
            "ix_issues_merged_into_id", "ix_issues_handle_due", "ix_issues_category_tags",
            "ix_issues_department",
        ):
            batch_op.drop_index(name)
        # merged_into_id's REFERENCES goes with the column (it was added inline, unnamed).
        for column in (
            "duplicate_count", "hotspot", "merged_into_id", "satisfaction", "result_text",
            "closed_at", "resolved_at", "accepted_at", "handle_due", "accept_due",
            "search_text", "category_tags", "route_rule", "department",
        ):
            batch_op.drop_column(column)
