"""Ticket numbers (举报编号): HB-20261122-0007, unique and never reused.

The number comes from a per-day counter bumped inside the filing transaction, so a
rolled-back filing hands its number to nobody and a committed one can never be handed out again.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: A ticket inside Chinese text (「编号HB-20261122-0007」): ASCII look-arounds, since 号 counts as a
#: word character for \b. Pure regex, importable from the Rasa environment too.
TICKET_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2,4})-?(\d{8})-?(\d{4,6})(?![0-9])")


def format_ticket(prefix: str, day: str, number: int) -> str:
    return f"{prefix}-{day}-{number:04d}"


def normalise_ticket(text: str) -> str | None:
    """The first ticket number in `text`, in canonical form (hb20261122-7 is not one; HB-20261122-0007 is)."""
    m = TICKET_RE.search(text or "")
    if not m:
        return None
    return f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}"


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
