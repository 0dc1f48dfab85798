"""A REST message resent with its message_id while its first copy still runs is run once
(connectors/rest.py with connectors/leases.py): the copy waits for the first one's answer, or is
refused with a 503 and Retry-After when it waits too long.

Runs in .venv-rasa as a subprocess (the channel is Rasa code): two RestInput objects play two
Rasa servers on one Redis (db 12, GW_TEST_REDIS_URL overrides), or one server without Redis.
The bot's turn is a stand-in that takes a second and saves the turn in Rasa's in-memory
tracker store, as Rasa would.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV

REDIS_URL = os.environ.get("GW_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")

SCRIPT = r"""
import asyncio, json, sys, uuid
from types import SimpleNamespace
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from connectors.errors import ChannelError
from connectors.rest import RestInput

redis_url, wait_s = sys.argv[1], float(sys.argv[2])
store = InMemoryTrackerStore(Domain.empty())
runs = []


async def on_new_message(m):
    runs.append(m.text)
    await asyncio.sleep(1.0)
    tracker = await store.get_or_create_tracker(m.sender_id)
    for event in (UserUttered(m.text, message_id=m.message_id), BotUttered("答复：" + m.text),
                  ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)
    await m.output_channel.send_text_message(m.sender_id, "答复：" + m.text)


async def post(server, body, delay):
    await asyncio.sleep(delay)
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    request = SimpleNamespace(body=json.dumps(body).encode(), args={}, app=app)
    try:
        r = await server._receive(request, on_new_message)
        return {"status": r.status, "said": [m["text"] for m in json.loads(r.body)]}
    except ChannelError as exc:
        return {"status": exc.status, "code": exc.code, "retry_after": exc.retry_after,
                "message": exc.zh}


async def main():
    one = RestInput(redis_url=redis_url)
    two = RestInput(redis_url=redis_url) if redis_url else one  # one process: one server
    two.leases.wait_s = wait_s
    body = {"sender": "s-" + uuid.uuid4().hex[:8], "message": "我要举报",
            "message_id": uuid.uuid4().hex}
    first, resent = await asyncio.gather(post(one, body, 0), post(two, body, 0.2))
    later = await post(two, body, 0)
    print(json.dumps({"first": first, "resent": resent, "later": later, "runs": runs}))


asyncio.run(main())
"""


def run(redis_url: str, wait_s: float) -> dict:
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            pytest.skip(f"no Redis at {redis_url}")
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT, redis_url, str(wait_s)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


@pytest.mark.parametrize("redis_url", ["", REDIS_URL], ids=["one-process", "two-servers"])
def test_a_copy_sent_while_the_first_runs_waits_for_its_answer(redis_url: str) -> None:
    out = run(redis_url, wait_s=30.0)
    assert out["runs"] == ["我要举报"], out
    assert out["first"] == out["resent"] == out["later"], out
    assert out["first"] == {"status": 200, "said": ["答复：我要举报"]}, out


@pytest.mark.parametrize("redis_url", ["", REDIS_URL], ids=["one-process", "two-servers"])
def test_a_copy_that_waits_too_long_is_refused_politely_never_run(redis_url: str) -> None:
    out = run(redis_url, wait_s=0.3)
    assert out["runs"] == ["我要举报"], out
    assert out["first"] == {"status": 200, "said": ["答复：我要举报"]}, out
    refused = out["resent"]
    assert (refused["status"], refused["code"], refused["retry_after"]) == (
        503,
        "still_running",
        5,
    ), out
    assert "还在处理中" in refused["message"]
    assert out["later"] == out["first"]  # sent again after it ended: its answer
