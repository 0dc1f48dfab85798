"""Feedback goal: after 办结 the citizen answers 满意 / 不满意; 不满意 reopens the issue."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import StoreAction, channel_of, latest_intent, latest_text
from bot import texts
from bot.casework import CaseWork, normalise_ticket
from bot.exceptions import InvalidTransition, IssueNotFound, StoreUnavailable

logger = logging.getLogger(__name__)


class ActionRecordFeedback(StoreAction, Action):
    """Records satisfaction on the reporter's resolved issue (the one named, or the newest)."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        satisfied = latest_intent(tracker) == "feedback_satisfied"
        text = latest_text(tracker)
        try:
            mine = self.store.for_sender(tracker.sender_id, limit=20)
            named = normalise_ticket(text)
            waiting = [i for i in mine if i.status == "resolved" and not i.satisfaction]
            target = (
                next((i for i in mine if i.ticket == named), None)
                if named
                else (waiting[0] if waiting else None)
            )
            if target is None:
                dispatcher.utter_message(**texts.message("citizen", "feedback.none"))
                return [SlotSet("feedback_ticket", None)]
            issue = CaseWork(self.store).feedback(
                target.ticket,
                satisfied=satisfied,
                actor=f"citizen:{channel_of(tracker)}",
                comment=None if satisfied else text,
            )
        except (InvalidTransition, IssueNotFound):
            dispatcher.utter_message(**texts.message("citizen", "feedback.not_resolved"))
            return [SlotSet("feedback_ticket", None)]
        except StoreUnavailable:
            logger.exception("case store unavailable while recording feedback")
            dispatcher.utter_message(**texts.message("citizen", "status.unavailable"))
            return [SlotSet("feedback_ticket", None)]
        if satisfied:
            dispatcher.utter_message(
                **texts.message("citizen", "feedback.thanks", ticket=issue.ticket)
            )
        else:
            dispatcher.utter_message(
                **texts.message("citizen", "feedback.reopened", ticket=issue.ticket)
            )
        return [SlotSet("feedback_ticket", issue.ticket)]
