"""A WeChat message delivered again from the inbox (its server died during the turn) is answered
once (connectors/wechat.py, connectors/wechat_inbox.py): run if its turn was not saved, answered
from the conversation if it was (the dead server saved it, then died before sending the replies).

Runs in .venv-rasa as a subprocess (the channel is Rasa code), feeding inbox entries to the
channel as its reader thread does; the bot's turn is a stand-in that saves the turn in Rasa's
in-memory tracker store, and what would go to the WeChat API is recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV
from tests.fakes.wechat_server import fixture

SCRIPT = r"""
import asyncio, json, sys
from datetime import datetime, timezone
from types import SimpleNamespace
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from wechatpy import parse_message
from connectors.wechat import WeChatInput
from connectors.wechat_config import WeChatConfig
from connectors.wechat_inbox import Entry

cases = json.loads(sys.argv[1])
store = InMemoryTrackerStore(Domain.empty())
runs, sent, done = [], [], []


async def save_turn(user, message_id, text, buttons):
    tracker = await store.get_or_create_tracker(user)
    for event in (UserUttered(text, message_id=message_id),
                  BotUttered("答复：" + text, data={"buttons": buttons} if buttons else {}),
                  ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)


async def on_new_message(m):
    runs.append(m.sender_id)
    await save_turn(m.sender_id, m.message_id, m.text, None)
    await m.output_channel.send_text_message(m.sender_id, "答复：" + m.text)


async def main():
    channel = WeChatInput(WeChatConfig(app_id="wx-test", secret="s", token="t"))
    channel._app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    channel._on_new_message = on_new_message
    channel.outbound.queue_reply = lambda user, text: sent.append([user, text])
    channel.inbox = SimpleNamespace(done=done.append)
    now = datetime.now(timezone.utc).isoformat()
    for i, case in enumerate(cases):
        msg = parse_message(case["xml"])
        if case["saved"]:
            await save_turn(msg.source, f"wx-{msg.id}", msg.content, case.get("buttons"))
        channel._take(Entry(str(i), case["xml"], now, case["redelivered"]))
    await channel.turns.join()
    menus = {c["user"]: channel.state.menu(c["user"]) for c in cases}
    print(json.dumps({"runs": runs, "sent": sent, "done": done, "menus": menus}))


asyncio.run(main())
"""

BUTTONS = [
    {"title": "匿名举报", "payload": "/anonymous"},
    {"title": "留下电话", "payload": "/phone"},
]


def run(cases: list[dict]) -> dict:
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT, json.dumps(cases)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "GW_REDIS_URL": ""},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def case(saved: bool, redelivered: bool, buttons: list | None = None) -> dict:
    user = f"o-{uuid.uuid4().hex[:20]}"
    xml = fixture("text", user=user, content="我要举报")
    return {
        "user": user,
        "xml": xml,
        "saved": saved,
        "redelivered": redelivered,
        "buttons": buttons,
    }


CASES = {
    "fresh": case(saved=False, redelivered=False),  # as it comes from the webhook
    "died-before-saving": case(saved=False, redelivered=True),  # run it here
    "died-after-saving": case(saved=True, redelivered=True),  # send what the bot said
    "died-after-saving-a-menu": case(saved=True, redelivered=True, buttons=BUTTONS),
}


@pytest.fixture(scope="module")
def outcome() -> dict:
    """Every case through one channel (one subprocess), each as its own citizen."""
    out = run(list(CASES.values()))
    by_user = {c["user"]: name for name, c in CASES.items()}
    return {
        "runs": [by_user[u] for u in out["runs"]],
        "sent": {name: [t for u, t in out["sent"] if u == c["user"]] for name, c in CASES.items()},
        "done": sorted(out["done"]),
        "menus": {by_user[u]: m for u, m in out["menus"].items()},
    }


@pytest.mark.parametrize(
    ("name", "runs"),
    [("fresh", 1), ("died-before-saving", 1), ("died-after-saving", 0)],
)
def test_a_message_is_answered_once_whatever_its_server_did_before_dying(
    outcome: dict, name: str, runs: int
) -> None:
    assert outcome["runs"].count(name) == runs, outcome
    assert outcome["sent"][name] == ["答复：我要举报"], outcome


def test_every_entry_is_acknowledged_once_answered(outcome: dict) -> None:
    assert outcome["done"] == sorted(str(i) for i in range(len(CASES)))


def test_a_turn_answered_again_shows_its_numbered_menu(outcome: dict) -> None:
    name = "died-after-saving-a-menu"
    assert name not in outcome["runs"]
    (text,) = outcome["sent"][name]
    assert "1. 匿名举报" in text and "2. 留下电话" in text, text
    assert outcome["menus"][name] == ["/anonymous", "/phone"]  # 「1」 then means 匿名举报
