"""What one citizen message says about the report in progress: the slot changes it makes.

Pure functions over plain dicts, so the actions stay thin and every rule here is unit-tested
without Rasa. The message is extracted once; the slot handlers (bot.intake.slots) read from that.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import texts
from bot.intake.categories import fine_categories
from bot.intake.context import Context
from bot.intake.hotline import call_draft, hotline_call, hotline_update
from bot.intake.places import (
    pin_area_slots,
    pin_coordinates,
    pin_place,
)
from bot.intake.slots import (
    ALSO_ANSWERS,
    EXTRACTED,
    ReportSlots,
    cleared_report,
    media_evidence,
)
from bot.intake.status import asks_status
from bot.intake.turn import Turn, Update
from bot.intake.values import MAX_EXTRACT_CHARS, clip
from bot.nlp.extraction import extract
from bot.nlp.extraction.answers import is_retry, media_kind, pin_label, strip_trigger
from bot.nlp.extraction.corrections import parse_correction
from bot.nlp.pipeline import model_says_not_ours, read
from bot.nlp.scope import Scope, decide

logger = logging.getLogger(__name__)

NON_REPORT_INTENTS = frozenset(
    {
        "ask_status",
        "ask_scope",
        "ask_reward",
        "handoff",
        "greet",
        "goodbye",
        "thank",
        "cancel",
        "feedback_satisfied",
        "feedback_unsatisfied",
    }
)
REPORT_INTENTS = frozenset({"report_problem", "inform", "correct_report"})
#: Inside a report, an answer the classifier took for one of these is still the answer asked
#: for (「恒安物业服务有限公司」 is no handoff); only these are never answers.
#: (An answer the classifier took for feedback on a past result, 「不晓得，晚上拉来的」, is still the
#: answer: the feedback rules only apply outside a report.)
NEVER_ANSWERS = frozenset({"ask_reward", "handoff", "cancel"})
#: Short courtesies (「谢谢」「你好」) are no answer either; longer messages with them are.
COURTESIES = frozenset({"greet", "goodbye", "thank"})
MAX_COURTESY_CHARS = 6

HANDLERS = ReportSlots()


def where_to_go(text: str, scope: Scope, classify: bool = True) -> dict[str, Any] | None:
    """What to tell a citizen whose matter is not ours, or None when it may be: the scope
    table's topic says where to go; where the table has no topic and nothing pollutes, the
    trained classifier may say it is not ours (`classify`), and 12345 is named."""
    if scope.verdict == "elsewhere" and scope.topic is not None:
        logger.info("scope: elsewhere (%s)", scope.topic.key)
        return texts.message("citizen", "scope.elsewhere", tell=scope.topic.tell)
    if classify and scope.verdict == "unclear" and model_says_not_ours(text):
        logger.info("scope: elsewhere (classifier)")
        return texts.message("citizen", "scope.elsewhere_unknown")
    return None


def _problem_known(slots: Mapping[str, Any]) -> bool:
    """An environmental problem was named already (the categories, or problems found)."""
    return bool(slots.get("categories") or slots.get("categories_found"))


def interpret(
    text: str,
    *,
    intent: str | None,
    requested_slot: str | None,
    form_active: bool,
    slots: Mapping[str, Any],
    ctx: Context,
    metadata: Mapping[str, Any] | None = None,
) -> Update:
    """What one user message says about the report in progress.

    The requested slot takes the whole answer; everything else the message reveals fills only
    slots that are still empty, so a reporter is never asked for what they already said.
    A correction (地点是…) overrides the named field.
    """
    text = (text or "").strip()
    answering = bool(form_active and requested_slot)
    if not text or intent in NEVER_ANSWERS:
        return Update()
    if intent == "ask_status" and (not answering or asks_status(text)):
        # a real status question during a report: not the answer (undo the from_text mapping)
        return Update(
            {requested_slot: slots.get(requested_slot)} if answering and requested_slot else {}
        )
    if intent in NON_REPORT_INTENTS and not answering:
        return Update()
    if answering and intent in COURTESIES and len(text) <= MAX_COURTESY_CHARS:
        return Update()
    if requested_slot and slots.get(requested_slot) and is_retry(text):
        # "继续" after a "system busy" message is not the answer to the question asked before.
        return Update({requested_slot: slots.get(requested_slot)})
    in_report = form_active or bool(requested_slot) or intent in REPORT_INTENTS
    if not in_report:
        return Update()
    hotline = call_draft(metadata)
    if hotline is not None:
        return hotline_update(hotline, ctx)

    upd = Update()
    call = hotline_call(metadata)
    if call is not None and not slots.get("hotline_call"):
        upd.slots["hotline_call"] = call  # a second report in the same call keeps the call id
    messages = list(slots.get("report_messages") or [])
    if not messages or messages[-1] != text:
        messages.append(clip(text, 2000))
    upd.slots["report_messages"] = messages[-40:]

    kind = media_kind(text)
    if kind:
        upd.slots.update(media_evidence(kind, slots))
        if form_active and requested_slot and requested_slot != "evidence":
            upd.slots[requested_slot] = None  # a photo does not answer this question: ask again
        return upd
    label = pin_label(text)
    pin = label is not None
    where = None
    if pin:
        coordinates = pin_coordinates(metadata)
        where = pin_place(coordinates, ctx)
        if where is not None and not where.in_city:
            # Not ours: the pin is not kept and the question is asked again; the question
            # says why (places.pin_notice), as Rasa drops a slot mapping's messages.
            if form_active and requested_slot:
                upd.slots[requested_slot] = None
            return upd
        upd.slots.update(coordinates)
        text = label or text
        if form_active and requested_slot and requested_slot not in ("location", "area"):
            upd.slots[requested_slot] = None  # a pin answers where, not this question
            requested_slot = None

    ex = read(text[:MAX_EXTRACT_CHARS], ctx.province, ctx.city)
    turn = Turn(
        text=text,
        intent=intent,
        form_active=form_active,
        requested_slot=requested_slot,
        slots=slots,
        ctx=ctx,
        ex=ex,
        found=fine_categories(ex),
    )

    if form_active and requested_slot and not _problem_known(slots):
        # After a vague opening (「我要投诉」) the first answer may show the matter is not ours
        # (「物业乱收费」): the report ends with where to go, as triage says at the opening.
        # (the classifier only at the first question: later answers are short details)
        said = where_to_go(
            text, decide(text, ex.pollution_types or ex.categories), requested_slot == "description"
        )
        if said is not None:
            return Update({**cleared_report(slots), requested_slot: None}, [said], ends_report=True)

    corrections = parse_correction(text) if (intent == "correct_report" or not form_active) else {}
    if corrections:
        for name, value in corrections.items():
            value_ex = extract(value[:MAX_EXTRACT_CHARS], province=ctx.province, city=ctx.city)
            upd.slots.update(HANDLERS.correct(name, value, value_ex, ctx))
        if requested_slot and requested_slot not in upd.slots:
            upd.slots[requested_slot] = None  # the message was a correction, not this answer
        return upd

    if form_active and requested_slot:
        upd.add(HANDLERS.answer(requested_slot, turn))
        turn = replace(
            turn, answered=frozenset({requested_slot, *ALSO_ANSWERS.get(requested_slot, ())})
        )
    elif not form_active and not pin:
        # The first message (or one outside the form): a description of the problem itself.
        rest = strip_trigger(text)
        if not slots.get("description") and len(rest) >= 4 and (turn.found or len(rest) >= 8):
            upd.slots["description"] = clip(rest)

    # Everything else this message reveals fills empty slots only.
    for slot in EXTRACTED:
        upd.slots.update(HANDLERS.extract(slot, turn, upd))
    if where is not None and ("location" in upd.slots or turn.empty("area", upd)):
        # The pin answers where: its coordinates decide the county (point-in-polygon).
        upd.slots.update(pin_area_slots(where, {**slots, **upd.slots}, ctx))
    # Place candidates are asked about by the area question (action_ask_area), numbered.
    return upd
