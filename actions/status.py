"""Status goal: 我的举报怎么样了 / 查询 HB-20261122-0007 — answered from the case store.

Who may see what, and how guessing the phone behind a ticket is slowed down, is
bot/intake/status.py's answer (`look_up`); this action only reads the turn and says the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import StoreAction, context, latest_text
from bot import texts
from bot.casework import CaseStore, normalise_ticket
from bot.exceptions import StoreUnavailable
from bot.intake import asks_status, look_up, status_variables
from bot.nlp.privacy import find_phones

logger = logging.getLogger(__name__)

MAX_LISTED = 3


class ActionCheckStatus(StoreAction, Action):
    """Shows status to the reporter (same sender id) or to whoever gives ticket + phone."""

    def __init__(
        self, store: CaseStore | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(store)
        self.clock = clock  # tests move time; None: the real clock

    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        if tracker.active_loop_name == "report_form" and not asks_status(text):
            # The classifier took an answer to the form's question for a status question
            # (「招牌上写的老码头串串香」): the slot mapping kept it as the answer; say nothing.
            return [SlotSet("query_pending", False)]
        ticket = normalise_ticket(text)
        pending = tracker.get_slot("query_ticket") if tracker.get_slot("query_pending") else None
        phones = find_phones(text)
        phone = phones[0] if phones else None
        done: list[EventType] = [SlotSet("query_pending", False), SlotSet("query_ticket", None)]
        ctx = context()
        try:
            ticket = ticket or pending
            if ticket:
                found = look_up(
                    self.store, ticket, sender_id=tracker.sender_id, phone=phone, clock=self.clock
                )
                if found.outcome == "shown" and found.issue is not None:
                    variables = status_variables(found.issue, ctx)
                    dispatcher.utter_message(**texts.message("citizen", "status.one", **variables))
                elif found.outcome == "need_phone":
                    dispatcher.utter_message(
                        **texts.message("citizen", "status.need_phone", ticket=ticket)
                    )
                    return [SlotSet("query_pending", True), SlotSet("query_ticket", ticket)]
                elif found.outcome == "wait":
                    dispatcher.utter_message(
                        **texts.message(
                            "citizen", "lookup.wait", ticket=ticket, minutes=found.minutes
                        )
                    )
                elif found.outcome == "capped":
                    dispatcher.utter_message(**texts.message("citizen", "lookup.capped"))
                else:
                    dispatcher.utter_message(
                        **texts.message("citizen", "lookup.no_match", ticket=ticket)
                    )
                return done
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
