"""What a ticket number (举报编号) looks like: HB-20261122-0007. Pure text, so the channels and the
extraction read ticket numbers without the case store; bot/casework/tickets.py hands them out."""

from __future__ import annotations

import re

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
