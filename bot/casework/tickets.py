"""Ticket numbers (举报编号): HB-20261122-0007, unique and never reused.

The number comes from a per-day counter bumped inside the filing transaction, so a
rolled-back filing hands its number to nobody and a committed one can never be handed out again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.nlp.tickets import TICKET_RE, format_ticket, normalise_ticket

__all__ = ["TICKET_RE", "format_ticket", "local_day", "next_ticket", "normalise_ticket"]

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def local_day(now: datetime, tz: str) -> str:
    return now.astimezone(ZoneInfo(tz)).strftime("%Y%m%d")


def next_ticket(session: Session, prefix: str, day: str) -> str:
    """Bumps the day's counter atomically (upsert … RETURNING) and formats the ticket."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from bot.casework.models import TicketCounter

    dialect = session.get_bind().dialect.name
    ins: Any
    if dialect == "postgresql":
        ins = postgresql.insert(TicketCounter).values(day=day, last=1)
    elif dialect == "sqlite":
        ins = sqlite.insert(TicketCounter).values(day=day, last=1)
    else:  # pragma: no cover - other backends take a row lock the portable way
        row = session.execute(
            select(TicketCounter).where(TicketCounter.day == day).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = TicketCounter(day=day, last=0)
            session.add(row)
        row.last += 1
        session.flush()
        return format_ticket(prefix, day, row.last)
    stmt = ins.on_conflict_do_update(
        index_elements=[TicketCounter.day], set_={"last": TicketCounter.last + 1}
    ).returning(TicketCounter.last)
    number = session.execute(stmt).scalar_one()
    return format_ticket(prefix, day, number)
