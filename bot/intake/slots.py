"""One handler per report slot, dispatched by name (as rasa-sdk's FormValidationAction does).

- `answer_<slot>`: the form asked for this slot; the whole message is the answer.
- `extract_<slot>`: what a message reveals for a slot nobody has filled yet.
- `correct_<field>`: a correction of the read-back (地点是…) replaces that field.

Every handler reads the message's one extraction (`Turn.ex`); none extracts again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot.calls import FIELDS as FORM_SLOTS
from bot.intake.categories import categories_from_answer, fine_categories, named
from bot.intake.context import Context
from bot.intake.places import area_slots_from_candidate, place_slots, resolve_candidate
from bot.intake.turn import Turn, Update
from bot.intake.values import (
    anonymous,
    clip,
    evidence_later,
    media_sent,
    no_evidence,
    unknown,
)
from bot.nlp.extraction import Extraction
from bot.nlp.extraction.answers import declines_contact, denies, is_media, is_unknown, no_more
from bot.nlp.extraction.lexicon import message_level_types
from bot.nlp.extraction.polluters import is_bare_kind
from bot.nlp.privacy import normalise_phone

logger = logging.getLogger(__name__)

REPORT_SLOTS = (
    *FORM_SLOTS,  # the questions the form asks, in order
    "area_parts",
    "address",
    "place_candidates",
    "has_evidence",
    "contact_phone",
    "anonymous",
    "report_messages",
    "report_uid",
    "latitude",
    "longitude",
    "hotline_call",
    "scope_rule",
    "categories_found",
)

#: Slots that the answer to another slot's question settles too (a place answers both).
ALSO_ANSWERS: dict[str, tuple[str, ...]] = {"location": ("area",), "area": ("location",)}
#: The slots a message may fill besides the one asked for, in this order.
EXTRACTED: tuple[str, ...] = ("categories", "location", "time_text", "polluter", "contact")
#: Answers to these questions (and messages outside the form: the opening, read-back details)
#: add the problems they name to the categories. Answers about the place, the evidence or the
#: contact do not: 「水库那边」 or 「拍了河边的照片」 name no new problem.
CATEGORIES_GROW_FROM: frozenset[str | None] = frozenset(
    {None, "description", "categories", "time_text", "polluter"}
)


# -- slot values shared by answers, corrections and the hotline -----------------------------------
def cleared_report(slots: Mapping[str, Any]) -> dict[str, Any]:
    """The report's slots that hold something, emptied: a matter that is not ours keeps nothing."""
    return {name: None for name in REPORT_SLOTS if slots.get(name) is not None}


def phone_slots(phone: str) -> dict[str, Any]:
    return {"contact": phone, "contact_phone": phone, "anonymous": False}


def anonymous_slots() -> dict[str, Any]:
    return {"contact": anonymous(), "contact_phone": None, "anonymous": True}


def contact_update(text: str, ex: Extraction) -> Update:
    """A phone number, 匿名 / 没有, or nothing: the contact question is then asked again and says
    how to write a number (actions/report.py ActionAskContact)."""
    phones = ex.phones or ([p] if (p := normalise_phone(text)) else [])
    if phones:
        return Update(phone_slots(phones[0]))
    if declines_contact(text):
        return Update(anonymous_slots())
    return Update({"contact": None})


def evidence_slots(text: str, intent: str | None) -> dict[str, Any]:
    t = text.strip()
    if intent == "deny" or denies(t):
        return {"evidence": no_evidence(), "has_evidence": False}
    if intent == "affirm" and len(t) <= 2:
        return {"evidence": evidence_later(), "has_evidence": True}
    return {"evidence": clip(t, 500), "has_evidence": True}


def media_evidence(kind: str, slots: Mapping[str, Any]) -> dict[str, Any]:
    """A photo/video/voice note/link sent in the chat is evidence; several add up."""
    label = media_sent(kind)
    previous = str(slots.get("evidence") or "")
    if previous and previous not in (no_evidence(), evidence_later()) and not is_media(previous):
        label = previous if label in previous else f"{previous}；{label}"
    return {"evidence": clip(label, 500), "has_evidence": True}


def polluter_value(text: str, ex: Extraction) -> str:
    return unknown() if is_unknown(text) else clip(ex.polluter or text, 200)


def _grown(current: list[str], found: list[str], turn: Turn) -> list[str]:
    """`current` with the problems of `found` added and those the message denies taken out."""
    denied = set(turn.ex.negated_types) - set(found)
    merged = [c for c in current if c not in denied]
    merged += [c for c in found if c not in merged]
    return merged or list(found) or current


class ReportSlots:
    """The report form's slot handlers; `answer`, `extract` and `correct` pick one by name."""

    def answer(self, slot: str, turn: Turn) -> Update:
        handler: Callable[[Turn], Update] | None = getattr(self, f"answer_{slot}", None)
        return handler(turn) if handler else Update()

    def extract(self, slot: str, turn: Turn, upd: Update) -> dict[str, Any]:
        handler: Callable[[Turn, Update], dict[str, Any]] | None = getattr(
            self, f"extract_{slot}", None
        )
        return handler(turn, upd) if handler else {}

    def correct(self, field_name: str, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        handler: Callable[[str, Extraction, Context], dict[str, Any]] | None = getattr(
            self, f"correct_{field_name}", None
        )
        return handler(value, ex, ctx) if handler else {}

    # -- the answer to the question asked ------------------------------------------------------
    def answer_description(self, turn: Turn) -> Update:
        return Update({"description": clip(turn.text)})

    def answer_categories(self, turn: Turn) -> Update:
        """The menu's answer, or, when the problems were named before (categories_found), the
        answer to 「还有什么问题？」: 没有了 keeps them, new problems are added, a denied one goes."""
        before = list(turn.slots.get("categories_found") or [])
        if not before:
            return Update({"categories": categories_from_answer(turn.text, turn.found)})
        if no_more(turn.text) or (turn.intent in ("affirm", "deny") and not turn.found):
            return Update({"categories": before, "categories_found": None})
        added = turn.found or ([] if len(turn.text) > 12 else [named(turn.text) or ""])
        return Update(
            {"categories": _grown(before, [c for c in added if c], turn), "categories_found": None}
        )

    def answer_location(self, turn: Turn) -> Update:
        return Update(place_slots(turn.ex, turn.text, turn.ctx))

    def answer_area(self, turn: Turn) -> Update:
        """A county/town, a pick among listed candidates, or 不清楚; what they said is kept."""
        text, slots = turn.text, turn.slots
        candidates = list(slots.get("place_candidates") or [])
        chosen = resolve_candidate(text, candidates) if candidates else None
        if chosen:
            return Update(area_slots_from_candidate(chosen, turn.ctx))
        if is_unknown(text):
            return Update({"area": unknown(), "place_candidates": None})
        found = place_slots(turn.ex, text, turn.ctx)
        found.pop("location", None)
        if not slots.get("address"):
            found.setdefault("address", clip(text, 300))
        elif found.get("address") is None:
            found.pop("address", None)
        if "area" not in found and not found.get("place_candidates"):
            found["area"] = clip(text, 100)  # keep what they said; staff will check
        return Update(found)

    def answer_time_text(self, turn: Turn) -> Update:
        text, ex = turn.text, turn.ex
        return Update(
            {"time_text": clip(text if len(text) <= 40 or not ex.time_text else ex.time_text, 200)}
        )

    def answer_polluter(self, turn: Turn) -> Update:
        return Update({"polluter": polluter_value(turn.text, turn.ex)})

    def answer_evidence(self, turn: Turn) -> Update:
        return Update(evidence_slots(turn.text, turn.intent))

    def answer_contact(self, turn: Turn) -> Update:
        return contact_update(turn.text, turn.ex)

    # -- what else the message reveals, for slots still empty ---------------------------------
    def extract_categories(self, turn: Turn, upd: Update) -> dict[str, Any]:
        """The categories are a set that grows as new problems are mentioned; a problem denied
        (「不是油烟，主要是风机响」) is taken out, so a correction of the type replaces it."""
        described = upd.slots.get("description") or turn.slots.get("description")
        if not described or "categories" in turn.answered:
            return {}
        if turn.requested_slot not in CATEGORIES_GROW_FROM:
            return {}
        # Before the categories question is answered, what was named is collected aside: the
        # question then asks whether there is more (ask.categories_more) instead of the menu.
        name = "categories" if turn.slots.get("categories") else "categories_found"
        current = list(upd.slots.get(name) or turn.slots.get(name) or [])
        found = turn.found
        if current:
            # 「叫宏顺采石场」 answering who: a place word counts only in a complaint that names
            # nothing else, and this one did already
            context_only = message_level_types(turn.text)
            found = [c for c in found if c in current or c not in context_only]
        merged = _grown(current, found, turn)
        return {name: merged} if merged and merged != current else {}

    def extract_location(self, turn: Turn, upd: Update) -> dict[str, Any]:
        place = turn.ex.place
        if not (place and turn.empty("location", upd) and turn.empty("area", upd)):
            return {}
        if not (place.district or place.town or place.is_ambiguous):
            return {}
        out = place_slots(turn.ex, place.mention or turn.text, turn.ctx)
        if place.address and not turn.form_active:
            out["location"] = clip(turn.text, 300)
        return out

    def extract_time_text(self, turn: Turn, upd: Update) -> dict[str, Any]:
        if turn.ex.time_text and turn.empty("time_text", upd) and turn.requested_slot != "contact":
            return {"time_text": turn.ex.time_text}
        return {}

    def extract_polluter(self, turn: Turn, upd: Update) -> dict[str, Any]:
        """A named polluter fills the slot; a bare kind (火锅店) leaves the question to ask
        which one it is."""
        if turn.ex.polluter and turn.empty("polluter", upd) and not is_bare_kind(turn.ex.polluter):
            return {"polluter": turn.ex.polluter}
        return {}

    def extract_contact(self, turn: Turn, upd: Update) -> dict[str, Any]:
        if turn.ex.phones and turn.empty("contact", upd):
            return phone_slots(turn.ex.phones[0])
        return {}

    # -- corrections of the read-back (names from bot.nlp.extraction.corrections) --------------
    def correct_place(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        slots = place_slots(ex, value, ctx)
        if not ex.place or not (ex.place.district or ex.place.town or ex.place.is_ambiguous):
            slots["area"] = None  # ask again which county/town
            slots["area_parts"] = None
        return slots

    def correct_time(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        return {"time_text": clip(value, 200)}

    def correct_polluter(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        return {"polluter": polluter_value(value, ex)}

    def correct_type(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        return {"categories": categories_from_answer(value, fine_categories(ex))}

    def correct_contact(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        return contact_update(value, ex).slots

    def correct_description(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        cats = fine_categories(ex)
        return {"description": clip(value), **({"categories": cats} if cats else {})}

    def correct_evidence(self, value: str, ex: Extraction, ctx: Context) -> dict[str, Any]:
        return evidence_slots(value, None)
