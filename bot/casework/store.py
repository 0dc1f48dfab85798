"""The case store: files issues into the ledger, reads them back, records status changes.

Every public method is one transaction: either all of it is written or nothing is. Database
outages surface as `StoreUnavailable` so that callers can tell the citizen to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.casework.catalog import statuses
from bot.casework.db import make_engine, make_session_factory, transaction
from bot.casework.evidence import attach_pending as attach_pending_evidence
from bot.casework.filing import enrich
from bot.casework.models import Issue, StatusEvent, utcnow
from bot.casework.schemas import IssueDraft, IssueView
from bot.casework.tickets import local_day, next_ticket
from bot.config import get_settings
from bot.exceptions import InvalidTransition, IssueNotFound, StoreUnavailable
from bot.nlp.privacy import mask_phone

logger = logging.getLogger(__name__)


class CaseStore:
    """Ledger access for actions, the app and CLIs. Thread-safe; one per process is enough."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        ticket_prefix: str = "HB",
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self._sessions = session_factory
        self.ticket_prefix = ticket_prefix
        self.timezone = timezone

    @classmethod
    def from_url(cls, url: str, **kwargs: str) -> CaseStore:
        return cls(make_session_factory(make_engine(url)), **kwargs)

    @property
    def engine(self) -> Engine:
        bind = self._sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    # -- health -----------------------------------------------------------------------------
    def ping(self) -> bool:
        """True when the database answers and the schema is there."""
        try:
            with self._session() as s:
                s.execute(select(func.count()).select_from(Issue).limit(1))
            return True
        except (StoreUnavailable, SQLAlchemyError):
            return False

    # -- filing -----------------------------------------------------------------------------
    def file(self, draft: IssueDraft, *, now: datetime | None = None) -> tuple[IssueView, bool]:
        """Files a confirmed report. Returns the issue and whether it was new.

        Filing the same `client_ref` again returns the issue filed the first time, so a
        citizen's retry after a timeout never creates a second issue.
        """
        if draft.client_ref:
            existing = self._by_client_ref(draft.client_ref)
            if existing is not None:
                return existing, False
        now = now or utcnow()
        try:
            with self._session() as s:
                ticket = next_ticket(s, self.ticket_prefix, local_day(now, self.timezone))
                issue = Issue(
                    ticket=ticket,
                    created_at=now,
                    updated_at=now,
                    status="received",
                    **draft.model_dump(),
                )
                issue.events.append(
                    StatusEvent(
                        at=now,
                        actor="system",
                        from_status=None,
                        to_status="received",
                        note=f"通过{draft.channel}渠道登记",
                    )
                )
                s.add(issue)
                s.flush()
                attach_pending_evidence(s, issue)
                enrich(s, issue, now=now)  # routing proposal, deadlines, duplicates
                s.flush()
                view = IssueView.model_validate(issue)
        except IntegrityError:
            # Two filings of one report raced; the other one won.
            if draft.client_ref and (existing := self._by_client_ref(draft.client_ref)):
                return existing, False
            raise
        logger.info(
            "filed %s channel=%s categories=%s phone=%s",
            view.ticket,
            view.channel,
            ",".join(view.categories),
            mask_phone(view.reporter_phone),
        )
        return view, True

    def _by_client_ref(self, client_ref: str) -> IssueView | None:
        with self._session() as s:
            issue = s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.client_ref == client_ref)
            ).scalar_one_or_none()
            return IssueView.model_validate(issue) if issue else None

    # -- reading ----------------------------------------------------------------------------
    def get(self, ticket: str) -> IssueView | None:
        with self._session() as s:
            issue = s.execute(
                select(Issue).options(selectinload(Issue.events)).where(Issue.ticket == ticket)
            ).scalar_one_or_none()
            return IssueView.model_validate(issue) if issue else None

    def for_sender(self, sender_id: str, limit: int = 5) -> list[IssueView]:
        """The newest issues a conversation partner filed, newest first."""
        with self._session() as s:
            rows = s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.reporter_sender_id == sender_id)
                .order_by(Issue.created_at.desc(), Issue.id.desc())
                .limit(limit)
            ).scalars()
            return [IssueView.model_validate(i) for i in rows]

    def search(
        self,
        *,
        statuses_in: Sequence[str] | None = None,
        categories_any: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[IssueView]:
        """Issues newest first, filtered; category filtering happens in Python (JSON column)."""
        stmt = select(Issue).options(selectinload(Issue.events))
        if statuses_in:
            stmt = stmt.where(Issue.status.in_(list(statuses_in)))
        if start:
            stmt = stmt.where(Issue.created_at >= start)
        if end:
            stmt = stmt.where(Issue.created_at <= end)
        stmt = stmt.order_by(Issue.created_at.desc(), Issue.id.desc())
        with self._session() as s:
            if not categories_any:
                rows = s.execute(stmt.limit(limit).offset(offset)).scalars()
                return [IssueView.model_validate(i) for i in rows]
            wanted = set(categories_any)
            out: list[IssueView] = []
            skipped = 0
            for issue in s.execute(stmt).scalars():
                if wanted.intersection(issue.categories):
                    if skipped < offset:
                        skipped += 1
                        continue
                    out.append(IssueView.model_validate(issue))
                    if len(out) >= limit:
                        break
            return out

    def count(self) -> int:
        with self._session() as s:
            return int(s.execute(select(func.count()).select_from(Issue)).scalar_one())

    # -- changing ---------------------------------------------------------------------------
    def change_status(
        self, ticket: str, to_status: str, *, actor: str, note: str | None = None
    ) -> IssueView:
        """Moves an issue to `to_status` and records who did it; the note may be shown to the citizen."""
        if to_status not in statuses():
            raise InvalidTransition(f"unknown status {to_status!r}")
        with self._session() as s:
            issue = s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.ticket == ticket)
                .with_for_update()
            ).scalar_one_or_none()
            if issue is None:
                raise IssueNotFound(ticket)
            if issue.status == to_status:
                raise InvalidTransition(f"{ticket} is already {to_status}")
            now = utcnow()
            issue.events.append(
                StatusEvent(
                    at=now, actor=actor, from_status=issue.status, to_status=to_status, note=note
                )
            )
            issue.status = to_status
            issue.updated_at = now
            s.flush()
            return IssueView.model_validate(issue)


@lru_cache(maxsize=1)
def get_store() -> CaseStore:
    """The process-wide store, built from settings on first use (never at import)."""
    settings = get_settings()
    return CaseStore.from_url(
        settings.database_url, ticket_prefix=settings.ticket_prefix, timezone=settings.timezone
    )
