"""Channel identity in actions/common.py: a channel's powers only inside its own namespace.

Rasa takes a message's input channel from whatever delivered it; Rasa's own REST channel let the
client name it. So the hotline's powers (call ids, agent ids, the draft) and WeChat's (pushes to
an openid) are believed only when the conversation is in that channel's namespace.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, message_metadata
from actions.report import ActionExtractReportSlots, ActionSubmitReport
from bot.casework.store import CaseStore
from tests.actions.conftest import load_tracker

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
DRAFT = {
    "description": "伪造化工厂每天夜里往河里偷排废水",
    "categories": ["水"],
    "polluter": "伪造化工厂",
    "contact_phone": "13900001111",
}
HOTLINE = {"hotline": {"call_id": "call-1", "agent_id": "A-forged", "draft": DRAFT}}
WECHAT = {
    "wechat": {"msg_id": "1"},
    "location": {"latitude": 31.5, "longitude": 104.7, "label": "青义镇"},
    "evidence": {"id": 1},
}


def _tracker(sender: str, channel: str | None, metadata: dict[str, Any] | None = None) -> Tracker:
    latest = {
        "text": "我要举报",
        "intent": {"name": "report_problem", "confidence": 1.0},
        "entities": [],
        "metadata": metadata or {},
    }
    event: dict[str, Any] = {"event": "user", "text": "我要举报", "parse_data": latest}
    if channel is not None:
        event["input_channel"] = channel
    return Tracker(sender, {}, latest, [event], False, None, {}, "action_listen")


@pytest.mark.parametrize(
    ("sender", "received", "channel"),
    [
        ("hotline:call-1", "hotline", "hotline"),
        (OPENID, "wechat", "wechat"),
        ("rest:visitor-1", "rest", "rest"),
        # the namespace and the channel disagree: no channel's powers
        ("rest:hotline:call-1", "hotline", "rest"),
        ("visitor-1", "hotline", "rest"),
        ("rest:" + OPENID, "wechat", "rest"),
        ("hotline:call-1", "wechat", "rest"),
        ("hotline:call-1", "rest", "rest"),
        (OPENID, "rest", "rest"),
        (OPENID, "hotline", "rest"),
        # other channels (cmdline, socket) and none at all
        ("default", "cmdline", "rest"),
        ("default", None, "rest"),
    ],
)
def test_a_channel_counts_only_in_its_own_namespace(
    sender: str, received: str | None, channel: str
) -> None:
    assert channel_of(_tracker(sender, received)) == channel


@pytest.mark.parametrize(
    ("sender", "received", "kept"),
    [
        ("hotline:call-1", "hotline", {"hotline"}),
        (OPENID, "wechat", {"wechat", "location", "evidence"}),
        ("rest:visitor-1", "rest", set()),
        ("rest:visitor-1", "hotline", set()),
        ("rest:" + OPENID, "wechat", set()),
        (OPENID, "hotline", set()),
    ],
)
def test_metadata_counts_only_as_its_channel_sets_it(
    sender: str, received: str, kept: set[str]
) -> None:
    metadata = {**HOTLINE, **WECHAT, "anything": "else"}
    assert set(message_metadata(_tracker(sender, received, metadata))) == kept


@pytest.mark.parametrize(
    ("sender", "received", "drafted"),
    [
        ("hotline:call-1", "hotline", True),
        ("rest:visitor-1", "hotline", False),
        ("rest:hotline:call-1", "hotline", False),
        (OPENID, "wechat", False),
    ],
)
async def test_only_the_hotline_fills_the_form_from_a_draft(
    sender: str, received: str, drafted: bool
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionExtractReportSlots().run(
        dispatcher, _tracker(sender, received, HOTLINE), {}
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert (slots.get("polluter") == "伪造化工厂") is drafted
    assert (slots.get("hotline_call") is not None) is drafted
    assert (slots.get("report_uid") == "hotline:call-1") is drafted


@pytest.mark.parametrize(
    ("sender", "received", "channel"),
    [
        ("rest:" + OPENID, "wechat", "rest"),
        (OPENID, "wechat", "wechat"),
        ("rest:visitor-9", "rest", "rest"),
    ],
)
async def test_a_report_is_filed_as_the_channel_that_received_it(
    store: CaseStore, sender: str, received: str, channel: str
) -> None:
    tracker = load_tracker("report_complete", sender_id=sender)
    tracker.events[-1]["input_channel"] = received
    await ActionSubmitReport(store).run(CollectingDispatcher(), tracker, {})
    (issue,) = store.for_sender(sender)
    assert (issue.channel, issue.reporter_sender_id) == (channel, sender)
