"""A hotline call's first message: the channel's draft of the whole call becomes report slots.

The hotline channel (connectors/hotline.py, bot/nlp/transcripts.py) sends the draft in the message
metadata; the form then asks only for what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.casework.catalog import categories as known_categories
from bot.intake.context import Context
from bot.intake.places import place_slots
from bot.intake.slots import anonymous_slots, phone_slots
from bot.intake.turn import Update
from bot.intake.values import MAX_ORIGINAL_CHARS, clip
from bot.nlp.extraction import Extraction, Place
from bot.nlp.privacy import normalise_phone

logger = logging.getLogger(__name__)


def hotline_call(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """call_id / agent_id / started_at of a hotline message's metadata, else None.

    The action passes hotline metadata only for messages that came in on the hotline channel
    (a REST client could send any metadata)."""
    hotline = metadata.get("hotline") if isinstance(metadata, Mapping) else None
    if not isinstance(hotline, Mapping) or not hotline.get("call_id"):
        return None
    return {
        "call_id": str(hotline["call_id"])[:64],
        "agent_id": str(hotline["agent_id"])[:64] if hotline.get("agent_id") else None,
        "started_at": str(hotline["started_at"]) if hotline.get("started_at") else None,
    }


def call_draft(metadata: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The hotline part of the metadata when it carries the channel's draft of the call."""
    if hotline_call(metadata) is None or not isinstance(metadata, Mapping):
        return None
    hotline: Mapping[str, Any] = metadata["hotline"]
    return hotline if isinstance(hotline.get("draft"), Mapping) else None


def hotline_update(hotline: Mapping[str, Any], ctx: Context) -> Update:
    """The first message of a hotline call: the channel's draft of the whole transcript (one
    extraction pass, corrections applied, caller number as contact) becomes the report slots;
    the form then asks only for what is missing. client_ref hotline:<call_id> makes filing the
    same call twice return the first issue."""
    draft: Mapping[str, Any] = hotline.get("draft") or {}
    call = hotline_call({"hotline": hotline}) or {}
    upd = Update()
    s = upd.slots
    s["hotline_call"] = call
    s["report_uid"] = f"hotline:{call.get('call_id')}"
    transcript = str(hotline.get("transcript") or draft.get("description") or "")
    s["report_messages"] = [transcript[:MAX_ORIGINAL_CHARS]] if transcript else []
    if draft.get("description"):
        s["description"] = clip(str(draft["description"]))
    known = known_categories()
    cats = [str(c) for c in draft.get("categories") or [] if str(c) in known]
    if cats:
        s["categories"] = list(dict.fromkeys(cats))
    place = draft.get("place")
    if isinstance(place, Mapping):
        found = Place(
            **{
                k: place.get(k)
                for k in ("province", "city", "district", "town", "address", "mention")
            },
            candidates=[str(c) for c in place.get("candidates") or []],
        )
        if found.district or found.town or found.candidates or found.address:
            text = str(draft.get("location_text") or found.mention or found.address or "")
            # candidates are asked about by the area question, numbered (action_ask_area)
            s.update(place_slots(Extraction(place=found, places=[found]), text, ctx))
    if draft.get("time_text"):
        s["time_text"] = clip(str(draft["time_text"]), 200)
    if draft.get("polluter"):
        s["polluter"] = clip(str(draft["polluter"]), 200)
    if draft.get("evidence"):
        s["evidence"] = clip(str(draft["evidence"]), 500)
        s["has_evidence"] = draft.get("has_evidence")
    if draft.get("scope_rule"):
        s["scope_rule"] = clip(str(draft["scope_rule"]), 300)
    phone = normalise_phone(draft.get("contact_phone"))
    if draft.get("anonymous"):
        s.update(anonymous_slots())
    elif phone:
        s.update(phone_slots(phone))
    return upd
