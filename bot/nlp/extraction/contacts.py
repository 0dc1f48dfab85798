"""Phone numbers and ticket numbers in free text. Phone numbers are personal data: never log them
unmasked (use `bot.nlp.privacy.mask_phone`)."""

from __future__ import annotations

import re

from bot.nlp.privacy import normalise_phone
from bot.nlp.tickets import TICKET_RE

_TICKET_IN_TEXT = TICKET_RE

# Mobiles (138 1234 5678, +86-138-1234-5678) and landlines with an area code (0816-2345678,
# (0816)2345678). Separators inside a number are spaces or hyphens.
_PHONE_RE = re.compile(
    r"(?<![\dA-Za-z-])(?:\+?86[-\s]?)?"
    r"(1[3-9]\d(?:[-\s]?\d{4}){2}"
    r"|[(（]?0\d{2,3}[)）]?[-\s]?\d{7,8}(?:[-转]\d{1,5})?)"
    r"(?![\d-])"
)


def find_phones(text: str) -> list[str]:
    """Digits-only phone numbers in text order, without duplicates."""
    out: list[str] = []
    for _start, _end, phone in find_phone_spans(text):
        if phone not in out:
            out.append(phone)
    return out


def find_phone_spans(text: str) -> list[tuple[int, int, str]]:
    """Every phone number with where it is written (start, end, digits): for the spaCy pipeline,
    which marks each occurrence."""
    out: list[tuple[int, int, str]] = []
    for m in _PHONE_RE.finditer(text or ""):
        raw = m.group(1).split("转")[0]
        if (
            re.fullmatch(r"[(（]?0\d{2,3}[)）]?[-\s]?\d{7,8}(?:-\d{1,5})?", raw)
            and raw.count("-") > 1
        ):
            raw = raw.rsplit("-", 1)[0]  # 0816-2345678-801: the extension is dropped
        phone = normalise_phone(raw)
        if phone:
            out.append((m.start(1), m.start(1) + len(raw), phone))
    return out


def find_tickets(text: str) -> list[str]:
    """Ticket numbers (HB-20261122-0007) in canonical form, in text order."""
    out: list[str] = []
    for m in _TICKET_IN_TEXT.finditer(text or ""):
        ticket = f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}"
        if ticket not in out:
            out.append(ticket)
    return out
