"""Trackers built from JSON fixtures, and a dispatcher, for action tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "trackers"


def load_tracker(name: str, **overrides: Any) -> Tracker:
    """Tracker from tests/fixtures/trackers/<name>.json; `slots=` merges, other keys replace."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    if "slots" in overrides:
        data["slots"].update(overrides.pop("slots"))
    data.update(overrides)
    return Tracker(
        data["sender_id"],
        data["slots"],
        data["latest_message"],
        data["events"],
        False,
        None,
        data.get("active_loop") or {},
        data.get("latest_action_name"),
    )


def user_turn(
    text: str,
    intent: str,
    *,
    requested_slot: str | None = None,
    form_active: bool = True,
    slots: dict[str, Any] | None = None,
    sender_id: str = "citizen-002",
) -> Tracker:
    """A tracker whose latest message is `text` with `intent`, mid-report or not."""
    all_slots: dict[str, Any] = {"requested_slot": requested_slot}
    all_slots.update(slots or {})
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}]
    loop = {"name": "report_form"} if form_active else {}
    return Tracker(sender_id, all_slots, latest, events, False, None, loop, "action_listen")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
