"""The IssueDraft a confirmed report is filed as, built from the report slots."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.casework.schemas import Channel, IssueDraft
from bot.intake.categories import normalise_categories
from bot.intake.context import Context
from bot.intake.places import pin_coordinates
from bot.intake.values import MAX_ORIGINAL_CHARS, area_text, clip, no_evidence, unknown
from bot.nlp.privacy import normalise_phone

logger = logging.getLogger(__name__)


def build_draft(
    slots: Mapping[str, Any], *, sender_id: str, channel: Channel, ctx: Context
) -> IssueDraft:
    """The IssueDraft for a confirmed report; tolerant of raw answers kept while actions were away."""
    parts = slots.get("area_parts") if isinstance(slots.get("area_parts"), dict) else {}
    parts = parts or {}
    area = area_text(slots)
    phone = normalise_phone(slots.get("contact_phone") or slots.get("contact"))
    anonymous = bool(slots.get("anonymous")) or (phone is None)
    polluter = slots.get("polluter")
    messages = slots.get("report_messages") or []
    original = "\n".join(str(m) for m in messages)[:MAX_ORIGINAL_CHARS]
    address = slots.get("address") or slots.get("location")
    if not parts and area:
        address = f"{area} {address or ''}".strip()
    pin = pin_coordinates(
        {"location": {"latitude": slots.get("latitude"), "longitude": slots.get("longitude")}}
    )
    raw_call = slots.get("hotline_call")
    call: Mapping[str, Any] = raw_call if isinstance(raw_call, Mapping) else {}
    evidence = slots.get("evidence")
    return IssueDraft(
        channel=channel,
        client_ref=slots.get("report_uid"),
        reporter_sender_id=sender_id,
        reporter_phone=None if anonymous else phone,
        anonymous=anonymous,
        categories=normalise_categories(list(slots.get("categories") or [])),
        phenomenon=clip(str(slots.get("description") or original or unknown()), 4000),
        province=parts.get("province") or ctx.province,
        city=parts.get("city") or ctx.city,
        district=parts.get("district"),
        town=parts.get("town"),
        address=clip(str(address), 1000) if address else None,
        time_text=clip(str(slots.get("time_text")), 200) if slots.get("time_text") else None,
        polluter=None if not polluter or polluter == unknown() else clip(str(polluter), 200),
        has_evidence=slots.get("has_evidence"),
        evidence_text=None if evidence in (None, no_evidence()) else str(evidence),
        original_text=original or str(slots.get("description") or ""),
        latitude=pin.get("latitude"),
        longitude=pin.get("longitude"),
        call_id=call.get("call_id"),
        agent_id=call.get("agent_id"),
        call_started_at=call.get("started_at"),
        scope_rule=clip(str(slots["scope_rule"]), 300) if slots.get("scope_rule") else None,
    )
