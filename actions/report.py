"""Report goal: fill report fields from what the citizen says, ask, summarise, file into the ledger."""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar

from pydantic import ValidationError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
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


#: The slot that carries a slot mapping's messages to the next action that speaks (see Carried).
CARRIED = "carried_messages"


def latest_user_stamp(tracker: Tracker) -> float | None:
    """The timestamp of the citizen's latest message: which message carried messages belong to."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            stamp = event.get("timestamp")
            return float(stamp) if isinstance(stamp, (int, float)) else None
    return None


class Carried:
    """Messages of the slot mapping, said by the next action of ours in the same turn.

    Rasa 3.6 keeps only the SlotSet events of a custom slot-mapping action
    (`ActionExtractSlots._execute_validation_action` filters out its BotUttered events), so what
    `action_extract_report_slots` wants to say (where to go for a matter that is not ours) is
    put in a slot, stamped with the message it answers, and said by the question, the read-back
    or the triage that follows. A stamp of an earlier message means nothing is carried: that
    turn's action said it, or no action of ours ran.
    """

    def __init__(self, tracker: Tracker) -> None:
        value = tracker.get_slot(CARRIED)
        fresh = isinstance(value, dict) and value.get("for") == latest_user_stamp(tracker)
        self.present = value is not None
        self.messages: list[dict[str, Any]] = list(value.get("messages") or []) if fresh else []
        self.ends_report = bool(fresh and value.get("ends_report"))

    def say(self, dispatcher: CollectingDispatcher) -> list[EventType]:
        """Sends the messages; the event that clears the slot (none when it is clear)."""
        for message in self.messages:
            dispatcher.utter_message(**message)
        return [SlotSet(CARRIED, None)] if self.present else []


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
        events: list[EventType] = [SlotSet(name, value) for name, value in update.slots.items()]
        if update.messages or update.ends_report:
            carried = {
                "for": latest_user_stamp(tracker),
                "messages": update.messages,
                "ends_report": update.ends_report,
            }
            events.append(SlotSet(CARRIED, carried))
        return events


class ActionTriage(Action):
    """A message outside a report: start one, say where a matter that is not ours goes, or say
    we did not understand (bot/intake/opening.py). Sets `scope`, on which the rules branch."""

    def name(self) -> str:
        return "action_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        result = triage(latest_text(tracker), **message_args(tracker))
        events = Carried(tracker).say(dispatcher)
        for message in result.messages:
            dispatcher.utter_message(**message)
        events += [SlotSet(name, value) for name, value in result.slots.items()]
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
        carried = Carried(tracker)
        events = carried.say(dispatcher)
        if carried.ends_report:
            # the answer showed the matter is not ours (said above): the report ends unfiled
            return [*events, ActiveLoop(None), SlotSet("requested_slot", None), then_listen()]
        notice = pin_notice(latest_text(tracker), message_metadata(tracker), context())
        if notice is not None:
            dispatcher.utter_message(**notice)  # the pin just sent is outside the city
        dispatcher.utter_message(**self.question_for(tracker))
        return [*events, then_listen()]


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

    def question_for(self, tracker: Tracker) -> dict[str, Any]:
        """Asked again right after the answer: it held no number and no 匿名, so say how to
        write one. (Rasa keeps only the slots of a slot-mapping action, not its messages, so the
        question says it.)"""
        if was_asked(tracker, self.slot):
            return texts.message("citizen", "contact_invalid")
        return self.question()


def was_asked(tracker: Tracker, slot: str) -> bool:
    """The citizen's latest message answered the question for `slot` (the form's requested slot
    when they wrote it): asking it again means the answer did not fill it."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and kind == "slot" and event.get("name") == "requested_slot":
            return bool(event.get("value") == slot)
    return False


class ActionReportSummary(Action):
    """Reads the report back (您反映的是…，对吗？) and gives it an id for idempotent filing."""

    def name(self) -> str:
        return "action_report_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        slots = tracker.current_slot_values()
        events = Carried(tracker).say(dispatcher)
        dispatcher.utter_message(**texts.message("citizen", "summary", **summary_variables(slots)))
        report_uid = slots.get("report_uid") or f"{channel_of(tracker)}:{uuid.uuid4().hex}"
        return [
            *events,
            SlotSet("report_uid", report_uid),
            SlotSet("filed_ticket", None),
            then_listen(),
        ]


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
