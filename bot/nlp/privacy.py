"""Masking of personal data (举报保护): phone numbers and names never leave unmasked by accident."""

from __future__ import annotations

import re

# Mainland mobile numbers, and landlines with an area code (0816-1234567 / 081612345678).
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")

# For masking, every way people write a number: grouped with spaces, dashes or dots
# (138 1111 0001, 138-1111-0002, 138.1111.0007), with the country code (+86, 0086, 86), and
# landlines with the area code in brackets or before a space ((0816)2345678, 0816 2345678).
# Matched on a copy where full-width digits and signs are half-width, one character for one, so
# the spans fit the original text.
_SEP = r"[ \-.\u00a0]?"
_MASK_RE = re.compile(
    r"(?<!\d)(?:"
    r"(?:(?:\+|00)?86[ \-]?)?1[3-9]\d(?:" + _SEP + r"\d){8}"
    r"|(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?\d{3,4}[ \-]?\d{4}"
    r")(?!\d)"
)
_HALF_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "＋": "+",
        "－": "-",
        "（": "(",
        "）": ")",
        "　": " ",
        "．": ".",
    }
)


def mask_phone(phone: str | None) -> str:
    """138****5678 style; short or odd numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = normalise_phone(phone) or re.sub(r"\D", "", phone.translate(_HALF_WIDTH))
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_name(name: str | None) -> str:
    """张** : the family name stays, the rest is hidden."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phones_in_text(text: str | None) -> str:
    """Masks every phone number inside free text (a complaint often carries the caller's number),
    however it is written: grouped, with a country code, full-width, or with the area code in
    brackets."""
    if not text:
        return ""
    folded = text.translate(_HALF_WIDTH)
    out: list[str] = []
    last = 0
    for m in _MASK_RE.finditer(folded):
        out.append(text[last : m.start()])
        out.append(mask_phone(m.group(0)))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, or None when nothing that looks like a phone number is left."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone.translate(_HALF_WIDTH))
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if 7 <= len(digits) <= 12 else None


def find_phones(text: str | None) -> list[str]:
    """Phone numbers in free text, normalised to digits, in order of appearance."""
    out: list[str] = []
    for m in _PHONE_RE.finditer(text or ""):
        phone = normalise_phone(m.group(0))
        if phone and phone not in out:
            out.append(phone)
    return out
