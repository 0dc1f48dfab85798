"""Status goal: 我的举报怎么样了 / 查询 HB-20261122-0007 — answered from the case store."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import StoreAction, context, latest_text
from bot import texts
from bot.casework import normalise_ticket
from bot.exceptions import StoreUnavailable
from bot.intake import may_view, status_variables
from bot.nlp.privacy import find_phones

logger = logging.getLogger(__name__)

MAX_LISTED = 3


class ActionCheckStatus(StoreAction, Action):
    """Shows status to the reporter (same sender id) or to whoever gives ticket + phone."""

    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        ticket = normalise_ticket(text)
        pending = tracker.get_slot("query_ticket") if tracker.get_slot("query_pending") else None
        phones = find_phones(text)
        phone = phones[0] if phones else None
        done: list[EventType] = [SlotSet("query_pending", False), SlotSet("query_ticket", None)]
        ctx = context()
        try:
            ticket = ticket or pending
            if ticket:
                issue = self.store.get(ticket)
                if issue is None:
                    dispatcher.utter_message(
                        **texts.message("citizen", "status.not_found", ticket=ticket)
                    )
                    return done
                if may_view(issue, sender_id=tracker.sender_id, phone=phone):
                    dispatcher.utter_message(
                        **texts.message("citizen", "status.one", **status_variables(issue, ctx))
                    )
                    return done
                if phone:
                    dispatcher.utter_message(**texts.message("citizen", "status.phone_mismatch"))
                    return done
                dispatcher.utter_message(
                    **texts.message("citizen", "status.need_phone", ticket=ticket)
                )
                return [SlotSet("query_pending", True), SlotSet("query_ticket", ticket)]
            issues = self.store.for_sender(tracker.sender_id, limit=MAX_LISTED)
        except StoreUnavailable:
            logger.exception("case store unavailable during a status query")
            dispatcher.utter_message(**texts.message("citizen", "status.unavailable"))
            return done
        if not issues:
            dispatcher.utter_message(**texts.message("citizen", "status.none"))
        for issue in issues:
            dispatcher.utter_message(
                **texts.message("citizen", "status.one", **status_variables(issue, ctx))
            )
        return done
