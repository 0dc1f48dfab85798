"""Read models for the web layer: everything the console and Open311 read besides the ledger list.

The views never open a database session; they call these functions, which read in one
transaction and hand back plain, detached values (dataclasses, IssueView). Masking and labels stay
with the views: these are the facts, for any member who may see the issue (bot/casework/access.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from bot.casework.evidence import EvidenceView
from bot.casework.ledger import SORTS, IssueFilter, apply_filter
from bot.casework.models import (
    CallbackTask,
    DuplicateLink,
    Evidence,
    FieldEdit,
    Issue,
    utcnow,
)
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore

logger = logging.getLogger(__name__)

#: The call-back list shows at most this many tasks.
CALLBACK_LIMIT = 200


@dataclass(frozen=True)
class IssueBrief:
    """Another issue as a line on a page: a duplicate, a merged report, a call-back's issue."""

    id: int
    ticket: str
    channel: str
    status: str
    phenomenon: str
    anonymous: bool
    reporter_name: str | None
    reporter_phone: str | None
    department: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Issue) -> IssueBrief:
        return cls(
            id=row.id,
            ticket=row.ticket,
            channel=row.channel,
            status=row.status,
            phenomenon=row.phenomenon,
            anonymous=row.anonymous,
            reporter_name=row.reporter_name,
            reporter_phone=row.reporter_phone,
            department=row.department,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class LinkBrief:
    """A duplicate suggestion or decision, seen from one of its two issues."""

    id: int
    reason: str
    score: float
    state: str
    other: IssueBrief | None


@dataclass(frozen=True)
class EditBrief:
    """One audited field edit."""

    at: datetime
    actor: str
    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class CallbackBrief:
    """A call-back task (回访任务)."""

    id: int
    message: str
    created_at: datetime
    done_at: datetime | None
    done_by: str | None
    outcome: str | None

    @classmethod
    def of(cls, row: CallbackTask) -> CallbackBrief:
        return cls(row.id, row.message, row.created_at, row.done_at, row.done_by, row.outcome)


@dataclass(frozen=True)
class IssueRecord:
    """What an issue's page shows around the issue itself, oldest first in every list."""

    links: list[LinkBrief]
    children: list[IssueBrief]
    parent_ticket: str | None
    edits: list[EditBrief]
    evidence: list[EvidenceView]
    tasks: list[CallbackBrief]


@dataclass(frozen=True)
class EvidenceFile:
    """Where an evidence file is and which issue it belongs to (for the scope check)."""

    ticket: str
    sha256: str
    content_type: str


def issue_record(store: CaseStore, issue: IssueView) -> IssueRecord:
    """Duplicates, merged reports, the parent, edits, evidence and call-backs of one issue."""
    with store.transaction() as s:
        links = list(
            s.execute(
                select(DuplicateLink)
                .where(or_(DuplicateLink.issue_id == issue.id, DuplicateLink.other_id == issue.id))
                .order_by(DuplicateLink.id)
            ).scalars()
        )

        def other_of(link: DuplicateLink) -> int:
            return link.other_id if link.issue_id == issue.id else link.issue_id

        other_ids = {other_of(lk) for lk in links}
        others = (
            {
                i.id: IssueBrief.of(i)
                for i in s.execute(select(Issue).where(Issue.id.in_(other_ids))).scalars()
            }
            if other_ids
            else {}
        )
        children = [
            IssueBrief.of(i)
            for i in s.execute(
                select(Issue).where(Issue.merged_into_id == issue.id).order_by(Issue.id)
            ).scalars()
        ]
        parent = s.get(Issue, issue.merged_into_id) if issue.merged_into_id else None
        edits = [
            EditBrief(e.at, e.actor, e.field, e.old_value, e.new_value)
            for e in s.execute(
                select(FieldEdit).where(FieldEdit.issue_id == issue.id).order_by(FieldEdit.id)
            ).scalars()
        ]
        evidence = [
            EvidenceView.of(ev)
            for ev in s.execute(
                select(Evidence).where(Evidence.issue_id == issue.id).order_by(Evidence.id)
            ).scalars()
        ]
        tasks = [
            CallbackBrief.of(t)
            for t in s.execute(
                select(CallbackTask)
                .where(CallbackTask.issue_id == issue.id)
                .order_by(CallbackTask.id)
            ).scalars()
        ]
        return IssueRecord(
            links=[
                LinkBrief(lk.id, lk.reason, lk.score, lk.state, others.get(other_of(lk)))
                for lk in links
            ],
            children=children,
            parent_ticket=parent.ticket if parent else None,
            edits=edits,
            evidence=evidence,
            tasks=tasks,
        )


def evidence_file(store: CaseStore, evidence_id: int) -> EvidenceFile | None:
    """The file behind one evidence record, if it belongs to an issue."""
    with store.transaction() as s:
        ev = s.get(Evidence, evidence_id)
        issue = s.get(Issue, ev.issue_id) if ev is not None and ev.issue_id else None
        if ev is None or issue is None:
            return None
        return EvidenceFile(ticket=issue.ticket, sha256=ev.sha256, content_type=ev.content_type)


def callbacks(
    store: CaseStore, *, done: bool, scope_department: str | None
) -> list[tuple[CallbackBrief, IssueBrief]]:
    """Call-back tasks with their issues: open ones oldest first, done ones newest first."""
    stmt = select(CallbackTask, Issue).join(Issue, Issue.id == CallbackTask.issue_id)
    stmt = stmt.where(CallbackTask.done_at.is_not(None) if done else CallbackTask.done_at.is_(None))
    if scope_department is not None:
        stmt = stmt.where(Issue.department == scope_department)
    stmt = stmt.order_by(CallbackTask.created_at.desc() if done else CallbackTask.created_at).limit(
        CALLBACK_LIMIT
    )
    with store.transaction() as s:
        return [(CallbackBrief.of(t), IssueBrief.of(i)) for t, i in s.execute(stmt).tuples()]


def service_requests(
    store: CaseStore,
    *,
    statuses: Sequence[str] | None = None,
    categories_any: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
) -> list[IssueView]:
    """Issues newest first for Open311: the ledger's status filter, any of the categories (by the
    indexed |category| tags), registered between `start` and `end` inclusive."""
    f = IssueFilter(statuses=list(statuses or ()))
    stmt = apply_filter(
        select(Issue).options(selectinload(Issue.events)),
        f,
        now=utcnow(),
        tz=ZoneInfo(store.timezone),
    )
    if categories_any:
        stmt = stmt.where(or_(*(Issue.category_tags.like(f"%|{c}|%") for c in categories_any)))
    if start:
        stmt = stmt.where(Issue.created_at >= start)
    if end:
        stmt = stmt.where(Issue.created_at <= end)
    stmt = stmt.order_by(*SORTS["-created"]).limit(limit)
    with store.transaction() as s:
        return [IssueView.model_validate(i) for i in s.execute(stmt).scalars()]


def tickets_by_id(store: CaseStore, ids: Sequence[int]) -> dict[int, str]:
    """The tickets of these issues (one query), e.g. the issues a page of requests was merged into."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with store.transaction() as s:
        rows = s.execute(select(Issue.id, Issue.ticket).where(Issue.id.in_(wanted)))
        return {row.id: row.ticket for row in rows}
