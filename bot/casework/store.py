"""The case store (the repository): files issues into the ledger and reads them back.

Every public method is one transaction: either all of it is written or nothing is. Database
outages surface as `StoreUnavailable` so that callers can tell the citizen to retry. Status
changes are case work (bot/casework/commands.py), which opens its transaction with
`transaction()`, as do the ledger queries and the accounts.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot import texts
from bot.casework.db import make_engine, make_session_factory, transaction
from bot.casework.evidence import attach_pending as attach_pending_evidence
from bot.casework.filing import enrich
from bot.casework.models import Issue, StatusEvent, utcnow
from bot.casework.schemas import IssueDraft, IssueView
from bot.casework.tickets import local_day, next_ticket
from bot.config import get_settings
from bot.exceptions import StoreUnavailable

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

    def transaction(self) -> AbstractContextManager[Session]:
        """One session, one transaction: committed on success, rolled back on any error."""
        return transaction(self._sessions)

    # -- health -----------------------------------------------------------------------------
    def ping(self) -> bool:
        """True when the database answers and the schema is there."""
        try:
            with self.transaction() as s:
                s.execute(select(func.count()).select_from(Issue).limit(1))
            return True
        except (StoreUnavailable, SQLAlchemyError):
            return False

    # -- filing -----------------------------------------------------------------------------
    def file(self, draft: IssueDraft, *, now: datetime | None = None) -> tuple[IssueView, bool]:
        """Files a confirmed report. Returns the issue and whether it was new.

        Filing the same `client_ref` again returns the issue filed the first time, so a
        citizen's retry after a timeout never creates a second issue; a source's item filed again
        under its number (source, 受理编号) returns the first issue too.
        """
        if draft.client_ref:
            existing = self._by_client_ref(draft.client_ref)
            if existing is not None:
                return existing, False
        if draft.source and draft.external_ref:
            existing = self.by_external_ref(draft.source, draft.external_ref)
            if existing is not None:
                return existing, False
        now = now or utcnow()
        try:
            with self.transaction() as s:
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
                        note=texts.text(
                            "staff", "casework.filed_note", channel=draft.source or draft.channel
                        ),
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
            if draft.source and draft.external_ref:
                found = self.by_external_ref(draft.source, draft.external_ref)
                if found is not None:
                    return found, False
            raise
        # No personal data at INFO: whether a phone was given, never the number (masked or not).
        logger.info(
            "filed %s channel=%s categories=%s phone=%s",
            view.ticket,
            view.channel,
            ",".join(view.categories),
            "yes" if view.reporter_phone else "no",
        )
        return view, True

    def _by_client_ref(self, client_ref: str) -> IssueView | None:
        with self.transaction() as s:
            issue = s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.client_ref == client_ref)
            ).scalar_one_or_none()
            return IssueView.model_validate(issue) if issue else None

    def by_external_ref(self, source: str, external_ref: str) -> IssueView | None:
        """The issue a source handed over under its own number (受理编号), if registered."""
        with self.transaction() as s:
            issue = s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.source == source, Issue.external_ref == external_ref)
            ).scalar_one_or_none()
            return IssueView.model_validate(issue) if issue else None

    # -- reading ----------------------------------------------------------------------------
    def get(self, ticket: str) -> IssueView | None:
        with self.transaction() as s:
            issue = s.execute(
                select(Issue).options(selectinload(Issue.events)).where(Issue.ticket == ticket)
            ).scalar_one_or_none()
            return IssueView.model_validate(issue) if issue else None

    def for_sender(self, sender_id: str, limit: int = 5) -> list[IssueView]:
        """The newest issues a conversation partner filed, newest first."""
        with self.transaction() as s:
            rows = s.execute(
                select(Issue)
                .options(selectinload(Issue.events))
                .where(Issue.reporter_sender_id == sender_id)
                .order_by(Issue.created_at.desc(), Issue.id.desc())
                .limit(limit)
            ).scalars()
            return [IssueView.model_validate(i) for i in rows]

    def count(self) -> int:
        with self.transaction() as s:
            return int(s.execute(select(func.count()).select_from(Issue)).scalar_one())


@lru_cache(maxsize=1)
def get_store() -> CaseStore:
    """The process-wide store, built from settings on first use (never at import)."""
    settings = get_settings()
    return CaseStore.from_url(
        settings.database_url, ticket_prefix=settings.ticket_prefix, timezone=settings.timezone
    )


def open_store() -> CaseStore:
    """`get_store()` for the web layer: a store that cannot even be built (a bad DATABASE_URL, an
    unwritable SQLite folder) is reported as `StoreUnavailable`, which the app answers with 503."""
    try:
        return get_store()
    except (OSError, SQLAlchemyError) as exc:
        logger.error("case store cannot be built: %s", type(exc).__name__)
        raise StoreUnavailable("case store cannot be built") from exc
