"""The opening of a conversation (or words out of the blue): a report, not ours, or unclear.

Intent and extraction decide together: a message that names a pollution problem starts a report
whatever the intent classifier said (a complete first message never gets the fallback); a
matter of the scope table's `elsewhere` topics (bot/data/scope.yml) gets where to go and nothing
is filed; a borderline matter is filed with the rule shown to staff.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.intake.context import Context
from bot.intake.hotline import call_draft
from bot.intake.messages import REPORT_INTENTS, interpret, where_to_go
from bot.intake.places import pin_notice
from bot.intake.slots import cleared_report
from bot.intake.values import MAX_EXTRACT_CHARS
from bot.nlp.pipeline import read
from bot.nlp.scope import decide

logger = logging.getLogger(__name__)

#: The `scope` slot's values (domain.yml); the rules branch on them.
Outcome = Literal["report", "amend", "elsewhere", "unclear"]


#: Intents whose triage only says where to go for a matter that is not ours (elsewhere), else
#: unclear: the rules then do what was asked (a human).
REDIRECT_ONLY = frozenset({"handoff"})


@dataclass
class Triage:
    outcome: Outcome
    slots: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)


def triage(
    text: str,
    *,
    intent: str | None,
    slots: Mapping[str, Any],
    ctx: Context,
    metadata: Mapping[str, Any] | None = None,
) -> Triage:
    """What to do with a message outside a report: start one (its fields filled from the
    message), say where to go, or say we did not understand."""
    text = (text or "").strip()

    def report(extra: dict[str, Any]) -> Triage:
        """A report starts: its fields from this message. For the report intents the slot
        mapping (action_extract_report_slots) has read the message already; not twice."""
        if intent in REPORT_INTENTS:
            return Triage("report", extra)
        update = interpret(
            text,
            intent="report_problem",
            requested_slot=None,
            form_active=False,
            slots=slots,
            ctx=ctx,
            metadata=metadata,
        )
        return Triage("report", {**update.slots, **extra}, update.messages)

    if call_draft(metadata) is not None:
        # A hotline call: the channel drafted the whole transcript and decided already (a call
        # that is not ours was transferred unless the agent insisted); the draft fills the slots.
        return report({})
    if slots.get("report_uid") and intent in REPORT_INTENTS:
        # The report was read back and not yet filed: these details amend it (the slot mapping
        # applied them already); it is read back again.
        return Triage("amend")
    notice = pin_notice(text, metadata, ctx)
    if notice is not None:
        # A pin outside the deployment city to start with: not ours, said where it is.
        return Triage("elsewhere", {**cleared_report(slots), "scope_rule": None}, [notice])
    ex = read(text[:MAX_EXTRACT_CHARS], ctx.province, ctx.city)
    scope = decide(text, ex.pollution_types or ex.categories)
    said = where_to_go(text, scope)
    if said is not None:
        return Triage("elsewhere", {**cleared_report(slots), "scope_rule": None}, [said])
    if intent in REDIRECT_ONLY:
        # 「扣我工资…这个找哪个」 was taken for a request for a human: say where to go when it is
        # not ours; otherwise the handoff is what they asked for, not a report.
        return Triage("unclear")
    named_something = bool(ex.polluter or (ex.place and (ex.place.district or ex.place.town)))
    if scope.verdict == "unclear" and not (
        intent in REPORT_INTENTS and (intent == "report_problem" or named_something)
    ):
        return Triage("unclear")
    rule = scope.topic.rule if scope.verdict == "borderline" and scope.topic else None
    return report({"scope_rule": rule})
