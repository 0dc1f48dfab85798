"""Masking of personal data (举报保护): phone numbers and names never leave unmasked by accident."""

from __future__ import annotations

import re

# Mainland mobile numbers, and landlines with an area code (0816-1234567 / 081612345678).
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


def mask_phone(phone: str | None) -> str:
    """138****5678 style; short or odd numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
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
    """Masks every phone number inside free text (a complaint often carries the caller's number)."""
    if not text:
        return ""
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, or None when nothing that looks like a phone number is left."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
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
