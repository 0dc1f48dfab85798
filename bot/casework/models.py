"""SQLAlchemy 2 models of the ledger (问题台账): issues, their status history, ticket counters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from bot.clock import utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Issue(Base):
    """One report in the ledger. Reporter fields are personal data: mask them in views and logs."""

    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True, index=True)
    #: Idempotency key from the channel (report id of a conversation, hotline call id):
    #: filing the same report twice returns the first issue.
    client_ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)

    reporter_sender_id: Mapped[str | None] = mapped_column(String(128), index=True)
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)

    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    phenomenon: Mapped[str] = mapped_column(Text, default="")
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32), index=True)
    town: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    time_text: Mapped[str | None] = mapped_column(String(200))
    polluter: Mapped[str | None] = mapped_column(String(200))
    has_evidence: Mapped[bool | None] = mapped_column(Boolean)
    evidence_text: Mapped[str | None] = mapped_column(Text)
    original_text: Mapped[str] = mapped_column(Text, default="")
    #: Hotline work orders (migration 0004): call id, the agent who took the call, call start.
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    call_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A borderline matter (bot/data/scope.yml, migration 0007): the rule it matched, for staff.
    scope_rule: Mapped[str | None] = mapped_column(String(300))
    #: Registration by staff (migration 0008; bot/casework/sources.py): where a report not made
    #: through a chat channel came from (来信, 督察交办 … as in bot/data/sources.yml), the
    #: sender's own number for it (受理编号, unique per source), the hand-over batch (第N批)
    #: and time (交办时间), and the table import that brought it in.
    source: Mapped[str | None] = mapped_column(String(16), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(32), index=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL"), index=True
    )

    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # -- case management (migration 0003; see bot/casework/lifecycle.py, bot/casework/routing.py) ------------------
    #: 责任单位 and the responsibility-list rule that proposed it (shown to staff).
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    route_rule: Mapped[str | None] = mapped_column(String(200))
    #: |水|大气| : lets SQL filter the JSON category list with LIKE on every backend.
    category_tags: Mapped[str] = mapped_column(String(120), default="", index=True)
    #: Lower-cased ticket, description, address and polluter: the console's full-text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    accept_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handle_due: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 办理结果: the text the citizen is told when the issue is resolved.
    result_text: Mapped[str | None] = mapped_column(Text)
    #: 满意 / 不满意 once the citizen answered the feedback question.
    satisfaction: Mapped[str | None] = mapped_column(String(8))
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("issues.id", ondelete="SET NULL"), index=True
    )
    #: 重复举报: the place or polluter was reported again and again.
    hotspot: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: Number of open duplicate suggestions and confirmed links, for the list's filter.
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0, index=True)

    # -- results for publication (migration 0009; see bot/casework/results.py) -----------------------------------
    #: Captured at 办结 (required for 督察交办, optional otherwise) and published in the
    #: 公开情况一览表 and on the 曝光台 after bot/nlp/privacy.redact_personal.
    #: 调查核实情况: what the investigation found.
    verification: Mapped[str | None] = mapped_column(Text)
    #: 是否属实: 属实 / 基本属实 / 部分属实 / 不属实 (bot/data/disclosure.yml `verdicts`).
    verdict: Mapped[str | None] = mapped_column(String(8))
    #: 处理和整改情况: what was done about it.
    rectification: Mapped[str | None] = mapped_column(Text)
    #: 责任人被处理情况: how those responsible were dealt with.
    accountability: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="issue", order_by="StatusEvent.id", cascade="all, delete-orphan"
    )


class StatusEvent(Base):
    """Audit trail of an issue: who changed what, when, and the note shown to the citizen."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    issue: Mapped[Issue] = relationship(back_populates="events")


class TicketCounter(Base):
    """Last ticket number handed out per day; bumped in the filing transaction, never reused."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class FieldEdit(Base):
    """Audit of a staff edit to one field of an issue: who, when, old and new value."""

    __tablename__ = "issue_field_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    @staticmethod
    def change(
        session: Session,
        issue: Issue,
        name: str,
        value: Any,
        *,
        actor: str,
        at: datetime,
        show: Callable[[Any], Any] = lambda v: v,
    ) -> bool:
        """Sets `issue.<name>` to `value` with its audit row (old and new values as `show`
        writes them); nothing when the value is unchanged. Whether it changed."""
        old = getattr(issue, name)
        if value == old:
            return False
        session.add(
            FieldEdit(
                issue_id=issue.id,
                at=at,
                actor=actor,
                field=name,
                old_value=show(old),
                new_value=show(value),
            )
        )
        setattr(issue, name, value)
        return True


class DuplicateLink(Base):
    """A likely duplicate found on filing: staff confirm (then merge) or reject it."""

    __tablename__ = "duplicate_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The newer issue, and the older open issue it looks like.
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    #: suggested / confirmed / rejected
    state: Mapped[str] = mapped_column(String(12), default="suggested", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallbackTask(Base):
    """回访任务: a hotline reporter must be called back by an agent with a status message."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("issue_events.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(Text)


class StaffUser(Base):
    """A console account. Roles: office (市污防办), department (责任单位), leader (read-only)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A server-side login session; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# Composite indexes for the console's most common list queries (filter, then newest first).
Index("ix_issues_status_created", Issue.status, Issue.created_at)
Index("ix_issues_department_created", Issue.department, Issue.created_at)
Index("ix_issues_district_created", Issue.district, Issue.created_at)
#: The 曝光台 and the monthly 公开情况一览表: finished issues by the moment of 办结.
Index("ix_issues_status_resolved", Issue.status, Issue.resolved_at)
#: One issue per (source, 受理编号): importing a hand-over table twice adds nothing. Rows without
#: a number (NULL) are not constrained, on SQLite and PostgreSQL alike.
Index("uq_issues_source_external_ref", Issue.source, Issue.external_ref, unique=True)


class ImportRun(Base):
    """One import of a hand-over table (bot/ops/table_import.py): who, what file, what came of it.

    The report rows (those that need attention) are kept with the run, so the console can offer
    them for download later; they hold row numbers, 受理编号 and reasons, not the complaint text.
    """

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    batch: Mapped[str | None] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    attention: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


# -- channels (migration 0002; see bot/casework/evidence.py, bot/casework/notify.py) ---------------------------------
class Evidence(Base):
    """A file a citizen sent (photo, video, voice, link) kept as evidence (固化证据).

    Stored on receipt because WeChat media ids expire after 3 days; the SHA-256, size, type and
    receive time fix the original. Belongs to the conversation (`sender_id`) until a report is
    filed, then to the issue.
    """

    __tablename__ = "evidence"
    __table_args__ = (Index("uq_evidence_channel_msg", "channel", "msg_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("issues.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    #: image / video / voice / link
    kind: Mapped[str] = mapped_column(String(16))
    #: The channel's message id: an upload retried after a timeout is stored once.
    msg_id: Mapped[str | None] = mapped_column(String(64))
    media_id: Mapped[str | None] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Voice recognition text, a link's title and URL.
    note: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """Outbox of citizen messages about an issue (status updates).

    Written in the same transaction as the status change it announces (a transactional outbox:
    both or neither are committed) and delivered by a background worker, so a status change never
    waits for WeChat. `state`: pending → sent, or undelivered after the last
    retry (the record on the issue of what did not reach the citizen). Issues from channels
    without push delivery (rest, hotline) stay pending for the bot's answer or a call-back.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(128))
    ticket: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    #: Fields for a template message (ticket, status label, time, note).
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the worker may (re)try; also its lease while a delivery is under way.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: customer_service / template, once sent.
    via: Mapped[str | None] = mapped_column(String(24))
    #: The moment of the status change it announces (the same transaction wrote both).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
