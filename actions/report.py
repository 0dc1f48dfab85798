"""Report goal: fill report fields from what the citizen says, ask, summarise, file into the ledger."""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar

from pydantic import ValidationError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    StoreAction,
    channel_of,
    context,
    latest_intent,
    latest_text,
    message_metadata,
)
from bot import texts
from bot.exceptions import StoreUnavailable
from bot.intake import (
    REPORT_SLOTS,
    ambiguity_message,
    build_draft,
    interpret,
    pin_notice,
    summary_variables,
    triage,
)

logger = logging.getLogger(__name__)


def then_listen() -> EventType:
    """Ends the bot's turn: Rasa then runs action_listen without asking the policies again.

    Only for actions after which the rules always listen (a question or a read-back to answer);
    it saves a whole policy run per turn. A failed call returns no events, so the failure path
    (rasa_ext.policies.ActionFailurePolicy) is unchanged.
    """
    return FollowupAction("action_listen")


def message_args(tracker: Tracker) -> dict[str, Any]:
    """What the intake reads besides the text: intent, slots, deployment, channel metadata."""
    return {
        "intent": latest_intent(tracker),
        "slots": tracker.current_slot_values(),
        "ctx": context(),
        "metadata": message_metadata(tracker),
    }


class ActionExtractReportSlots(Action):
    """Custom slot mapping run after every user message (see domain.yml, slot report_extracted)."""

    def name(self) -> str:
        return "action_extract_report_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        update = interpret(
            latest_text(tracker),
            requested_slot=tracker.get_slot("requested_slot"),
            form_active=tracker.active_loop_name == "report_form",
            **message_args(tracker),
        )
        for message in update.messages:
            dispatcher.utter_message(**message)
        return [SlotSet(name, value) for name, value in update.slots.items()]


class ActionTriage(Action):
    """A message outside a report: start one, say where a matter that is not ours goes, or say
    we did not understand (bot/intake/opening.py). Sets `scope`, on which the rules branch."""

    def name(self) -> str:
        return "action_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        result = triage(latest_text(tracker), **message_args(tracker))
        for message in result.messages:
            dispatcher.utter_message(**message)
        events: list[EventType] = [SlotSet(name, value) for name, value in result.slots.items()]
        return [*events, SlotSet("scope", result.outcome)]


class AskSlotAction(Action):
    """The report form's question for one slot (action_ask_<slot>); `question` is its text from
    the citizen catalogue (ask.<slot>), one literal key per subclass."""

    slot: ClassVar[str] = ""

    def question(self) -> dict[str, Any]:
        raise NotImplementedError

    def question_for(self, tracker: Tracker) -> dict[str, Any]:
        """The question as this conversation needs it (the area's numbered choices)."""
        candidates = tracker.get_slot("place_candidates") if self.slot == "area" else None
        if candidates:
            # a place name several towns share: one question with numbered choices
            return ambiguity_message(None, list(candidates))
        return self.question()

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        notice = pin_notice(latest_text(tracker), message_metadata(tracker), context())
        if notice is not None:
            dispatcher.utter_message(**notice)  # the pin just sent is outside the city
        dispatcher.utter_message(**self.question_for(tracker))
        return [then_listen()]


class ActionAskDescription(AskSlotAction):
    slot = "description"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.description")


class ActionAskCategories(AskSlotAction):
    """The menu, or, when problems were named already, whether there is more to report."""

    slot = "categories"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.categories")

    def question_for(self, tracker: Tracker) -> dict[str, Any]:
        found = tracker.get_slot("categories_found")
        if not found:
            return self.question()
        return texts.message("citizen", "ask.categories_more", categories="、".join(found))


class ActionAskLocation(AskSlotAction):
    slot = "location"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.location")


class ActionAskArea(AskSlotAction):
    slot = "area"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.area")


class ActionAskTimeText(AskSlotAction):
    slot = "time_text"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.time_text")


class ActionAskPolluter(AskSlotAction):
    slot = "polluter"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.polluter")


class ActionAskEvidence(AskSlotAction):
    slot = "evidence"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.evidence")


class ActionAskContact(AskSlotAction):
    slot = "contact"

    def question(self) -> dict[str, Any]:
        return texts.message("citizen", "ask.contact")


class ActionReportSummary(Action):
    """Reads the report back (您反映的是…，对吗？) and gives it an id for idempotent filing."""

    def name(self) -> str:
        return "action_report_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        dispatcher.utter_message(**texts.message("citizen", "summary", **summary_variables(slots)))
        report_uid = slots.get("report_uid") or f"{channel_of(tracker)}:{uuid.uuid4().hex}"
        return [SlotSet("report_uid", report_uid), SlotSet("filed_ticket", None), then_listen()]


class ActionSubmitReport(StoreAction, Action):
    """Files the confirmed report. On a database outage it returns no events, so that the
    ActionFailurePolicy tells the citizen to retry; the answers stay in the tracker."""

    def name(self) -> str:
        return "action_submit_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        if not slots.get("description") and not slots.get("report_messages"):
            dispatcher.utter_message(**texts.message("citizen", "nothing_to_submit"))
            return [SlotSet("filed_ticket", None), then_listen()]
        try:
            draft = build_draft(
                slots, sender_id=tracker.sender_id, channel=channel_of(tracker), ctx=context()
            )
            issue, created = self.store.file(draft)
        except StoreUnavailable:
            logger.exception("case store unavailable while filing a report; citizen asked to retry")
            return []
        except ValidationError:
            logger.exception("report draft rejected")
            dispatcher.utter_message(**texts.message("citizen", "incomplete"))
            return [SlotSet("filed_ticket", None), then_listen()]
        if created:
            dispatcher.utter_message(**texts.message("citizen", "filed", ticket=issue.ticket))
        else:
            dispatcher.utter_message(
                **texts.message("citizen", "already_filed", ticket=issue.ticket)
            )
        return [SlotSet(name, None) for name in REPORT_SLOTS] + [
            SlotSet("filed_ticket", issue.ticket),
            then_listen(),
        ]
