"""Answering a repeated request once: Open311 POST retries get the first request's ticket.

A client that times out and retries, or a form submitted twice, would file the same report
twice. A fingerprint of what makes two requests the same (bot/web/open311.py chooses: key,
service, description, location) is kept in the ledger's database for a few minutes, so every
app process sees it; a repeat within that window gets the ticket the first one was given.
The fingerprint is claimed *before* filing, so two copies racing each other file once (the
second is told the first is still being filed).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.casework.db import Transactional
from bot.casework.models import Base, UTCDateTime
from bot.casework.throttle import Clock
from bot.clock import utcnow

logger = logging.getLogger(__name__)


class RequestReplay(Base):
    """A request that was answered recently, by fingerprint: a repeat gets the same answer."""

    __tablename__ = "request_replays"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The ticket filed for it; None while the first request is still being filed.
    ticket: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def fingerprint(*parts: str) -> str:
    """A SHA-256 of the parts that make two requests "the same" (no part is kept)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """The answer to "may I file this?": yes (claimed), or the ticket the first request got;
    `pending` when the first request is still being filed."""

    claimed: bool
    ticket: str | None = None

    @property
    def pending(self) -> bool:
        return not self.claimed and self.ticket is None


class Replays:
    """Repeated requests within `window` get the first request's ticket."""

    #: A claim not settled within this long was abandoned (its process died mid-filing).
    ABANDONED = timedelta(seconds=30)

    def __init__(
        self,
        db: Transactional,
        *,
        window: timedelta = timedelta(minutes=10),
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.window = window
        self.clock = clock or utcnow

    def claim(self, print_: str) -> Claim:
        now = self.clock()
        stale = now - self.window
        table = RequestReplay
        with self.db.transaction() as s:
            taken = s.execute(
                update(table)
                .where(
                    table.fingerprint == print_,
                    or_(
                        table.created_at < stale,
                        table.ticket.is_(None) & (table.created_at < now - self.ABANDONED),
                    ),
                )
                .values(ticket=None, created_at=now),
                execution_options={"synchronize_session": False},
            )
            if getattr(taken, "rowcount", 0):
                return Claim(True)
            try:
                with s.begin_nested():
                    s.add(table(fingerprint=print_, ticket=None, created_at=now))
                s.execute(delete(table).where(table.created_at < stale))  # keep the table small
                return Claim(True)
            except IntegrityError:
                row = s.get(table, print_, populate_existing=True)
                return Claim(False, row.ticket if row else None)

    def settle(self, print_: str, ticket: str) -> None:
        with self.db.transaction() as s:
            s.execute(
                update(RequestReplay)
                .where(RequestReplay.fingerprint == print_)
                .values(ticket=ticket),
                execution_options={"synchronize_session": False},
            )

    def release(self, print_: str) -> None:
        """Filing failed: the next attempt files it."""
        with self.db.transaction() as s:
            s.execute(
                delete(RequestReplay).where(
                    RequestReplay.fingerprint == print_, RequestReplay.ticket.is_(None)
                )
            )
