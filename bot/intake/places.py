"""Where the problem is: report slots from a found place, a picked candidate or a location pin."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot import texts
from bot.exceptions import BoundariesUnavailable
from bot.geo import Located, locate
from bot.intake.context import Context
from bot.intake.values import clip
from bot.nlp.extraction import Extraction, extract
from bot.nlp.extraction.answers import candidate_words, pin_label

logger = logging.getLogger(__name__)


def place_slots(ex: Extraction, text: str, ctx: Context) -> dict[str, Any]:
    """location / area / area_parts / address / place_candidates for what extraction found."""
    place = ex.place
    out: dict[str, Any] = {"location": clip(text, 300)}
    if place is None:
        out["address"] = clip(text, 300)
        return out
    if place.is_ambiguous:
        out["place_candidates"] = list(place.candidates)
        out["address"] = place.address or None
        return out
    if place.district or place.town:
        out["area"] = place.area_text
        out["area_parts"] = {
            "province": place.province or ctx.province,
            "city": place.city
            or (ctx.city if not place.province or place.province == ctx.province else None),
            "district": place.district,
            "town": place.town,
        }
        out["place_candidates"] = None
    out["address"] = place.address or None
    return out


def resolve_candidate(text: str, candidates: list[str]) -> str | None:
    """The candidate an answer picks: its number, or the one place its words name."""
    t = text.strip()
    if t.isdigit() and 1 <= int(t) <= len(candidates):
        return candidates[int(t) - 1]
    words = candidate_words(t)
    hits = [c for c in candidates if any(part in c for part in words)]
    return hits[0] if len(hits) == 1 else None


def area_slots_from_candidate(candidate: str, ctx: Context) -> dict[str, Any]:
    """The area slots of a picked candidate; the location and address said before are kept."""
    ex = extract(candidate, province=ctx.province, city=ctx.city)
    slots = place_slots(ex, candidate, ctx)
    slots.pop("location", None)
    slots.pop("address", None)
    slots["area"] = slots.get("area") or candidate
    slots["place_candidates"] = None
    return slots


def ambiguity_message(mention: str | None, candidates: Sequence[str]) -> dict[str, Any]:
    """The numbered list of places a name may mean, asking which one. Without the mention, the
    name the candidates share (四川省绵阳市江油市太平镇 / …游仙区太平镇 → 太平镇) is used."""
    mention = mention or shared_name(candidates)
    return texts.message(
        "citizen",
        "ask.area_ambiguous",
        mention=mention or texts.text("citizen", "intake.place_unnamed"),
        candidates="\n".join(f"{i}. {c}" for i, c in enumerate(candidates, 1)),
    )


def shared_name(candidates: Sequence[str]) -> str | None:
    """The unit name at the end of every candidate (太平镇), if they share one."""
    tails = [re.split(r"(?<=[省市区县镇乡旗])", c.strip()) for c in candidates if c.strip()]
    last = {next((p for p in reversed(t) if p), "") for t in tails}
    return last.pop() if len(last) == 1 and "" not in last else None


def pin_coordinates(metadata: Mapping[str, Any] | None) -> dict[str, float]:
    """latitude/longitude of a location pin in the message metadata, if valid."""
    pin = (metadata or {}).get("location") if isinstance(metadata, Mapping) else None
    if not isinstance(pin, Mapping):
        return {}
    try:
        lat, lng = float(pin["latitude"]), float(pin["longitude"])
    except (KeyError, TypeError, ValueError):
        return {}
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return {}
    return {"latitude": lat, "longitude": lng}


def pin_place(coordinates: Mapping[str, float], ctx: Context) -> Located | None:
    """Where a pin's coordinates are (point-in-polygon on the boundary data), or None when
    there are no coordinates or no boundary data (then the label alone says where)."""
    if not coordinates:
        return None
    try:
        return locate(
            coordinates["latitude"],
            coordinates["longitude"],
            province=ctx.province,
            city=ctx.city,
        )
    except BoundariesUnavailable:
        logger.warning("no boundary data: a pin's place is read from its label only", exc_info=True)
        return None


def pin_notice(
    text: str, metadata: Mapping[str, Any] | None, ctx: Context
) -> dict[str, Any] | None:
    """What to tell a citizen whose message is a pin outside the deployment city, else None.

    The report form's questions say it (actions.report.AskSlotAction), not the slot mapping
    that refuses the pin: Rasa 3.6 keeps only the SlotSet events of a custom slot mapping
    (ActionExtractSlots._execute_validation_action) and drops its messages."""
    if pin_label((text or "").strip()) is None:
        return None
    where = pin_place(pin_coordinates(metadata), ctx)
    if where is None or where.in_city:
        return None
    return outside_city_message(where, ctx)


def outside_city_message(where: Located, ctx: Context) -> dict[str, Any]:
    """Said to a citizen whose pin is outside the deployment city: where it is, where to go."""
    if where.province:
        return texts.message("citizen", "pin.outside_city", place=where.text, city=ctx.city)
    return texts.message("citizen", "pin.outside_city_unknown", city=ctx.city)


def pin_area_slots(where: Located, current: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """The area of a pin inside the city: its coordinates decide the county. A town the label
    names is kept when it lies in that county; a county the label names otherwise is replaced
    (the label is the map's nearest point of interest, the coordinates are where they stood)."""
    parts = current.get("area_parts")
    parts = parts if isinstance(parts, Mapping) else {}
    if where.district and parts.get("district") == where.district:
        return {}  # the label said the same county (its town, if any, is in it)
    candidates = [str(c) for c in current.get("place_candidates") or []]
    in_county = [c for c in candidates if where.district and where.district in c]
    if len(in_county) == 1:
        return area_slots_from_candidate(in_county[0], ctx)  # 太平镇: the one in this county
    if parts.get("district"):
        logger.info("pin: label names %s, coordinates %s", parts.get("district"), where.district)
    return {
        "area": where.text,
        "area_parts": {
            "province": where.province,
            "city": where.city,
            "district": where.district,
            "town": None,
        },
        "place_candidates": None,
    }
