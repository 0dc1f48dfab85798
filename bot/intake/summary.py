"""The read-back of a report (您反映的是…，对吗？): its variables in plain Chinese, contact masked."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot import texts
from bot.intake.values import anonymous, area_text, no_evidence, unknown
from bot.nlp.extraction.answers import says_near
from bot.nlp.privacy import mask_phone

logger = logging.getLogger(__name__)


def summary_variables(slots: Mapping[str, Any]) -> dict[str, str]:
    """Variables of the summary reply, in plain Chinese, contact masked."""
    cats = [c for c in (slots.get("categories") or []) if c]
    area = area_text(slots)
    address = slots.get("address") or ""
    location = slots.get("location") or ""
    parts = (slots.get("area_parts") or {}) if isinstance(slots.get("area_parts"), dict) else {}
    short_area = "".join(p for p in (parts.get("district"), parts.get("town")) if p) or area
    place = short_area + (address if address and address not in short_area else "")
    if not place:
        place = location or texts.text("citizen", "intake.place_unsaid")
    if address and not says_near(place):
        place = texts.text("citizen", "intake.near", place=place)
    place_full = (
        (area + (address if address and address not in area else "")) or location or unknown()
    )
    contact = slots.get("contact")
    if slots.get("anonymous"):
        contact_text = anonymous()
    elif slots.get("contact_phone") or contact:
        contact_text = mask_phone(str(slots.get("contact_phone") or contact))
    else:
        contact_text = texts.text("citizen", "intake.contact_none")
    return {
        "place": place,
        "place_full": place_full,
        "categories": "、".join(cats) or texts.text("citizen", "intake.categories_none"),
        "description": str(slots.get("description") or unknown()),
        "time_text": str(slots.get("time_text") or unknown()),
        "polluter": str(slots.get("polluter") or unknown()),
        "evidence": str(slots.get("evidence") or no_evidence()),
        "contact": contact_text,
    }
