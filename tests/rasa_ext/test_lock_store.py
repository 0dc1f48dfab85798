"""A Rasa server that dies holding a conversation's lock stalls it only for the lock's lifetime
(rasa_ext/lock_store.py), where Rasa's own RedisLockStore can leave the next message waiting for
ever (when the dead ticket expires less than a polling second before the waiter's own: a timing
this test cannot force, so it is shown by bench/turns.py --cluster, not here). Runs in .venv-rasa as a subprocess against the local Redis (db 8; skipped without one)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV

REDIS_URL_DB = os.environ.get("GW_TEST_REDIS_DB", "8")

SCRIPT = r"""
import asyncio, json, sys, time, uuid
from rasa.core.lock_store import LOCK_LIFETIME, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

kind, db = sys.argv[1], sys.argv[2]
prefix = "gwtest" + uuid.uuid4().hex[:8]
if kind == "ours":
    store = LockStore.create(EndpointConfig(
        url="127.0.0.1", type="rasa_ext.lock_store.GreenWhistleLockStore", port="6379", db=db,
        key_prefix=prefix))
else:
    store = RedisLockStore(host="127.0.0.1", port=6379, db=int(db), key_prefix=prefix)
out = {"class": type(store).__name__}


async def main():
    store.issue_ticket("dead", LOCK_LIFETIME)  # the server that held it was killed
    started = time.time()
    try:
        await asyncio.wait_for(_take(store, "dead"), LOCK_LIFETIME + 4)
        out["stall_s"] = round(time.time() - started, 2)
    except asyncio.TimeoutError:
        out["stall_s"] = None  # still waiting
    order = []

    async def turn(n, d):
        async with store.lock("live"):
            order.append(n)
            await asyncio.sleep(d)

    await asyncio.wait_for(asyncio.gather(turn(1, 0.3), turn(2, 0.1), turn(3, 0.1)), 20)
    out["order"] = order
    out["left"] = store.get_lock("live") is not None


async def _take(store, conversation):
    async with store.lock(conversation):
        pass


asyncio.run(main())
for key in store.red.keys(prefix + "*"):
    store.red.delete(key)
print(json.dumps(out))
"""


def run(kind: str) -> dict:
    import redis

    try:
        redis.Redis(
            host="127.0.0.1", port=6379, db=int(REDIS_URL_DB), socket_connect_timeout=1
        ).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT, kind, REDIS_URL_DB],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TICKET_LOCK_LIFETIME": "2"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_a_dead_holder_stalls_the_conversation_for_the_lock_lifetime_only() -> None:
    out = run("ours")
    assert out["class"] == "GreenWhistleLockStore"
    assert out["stall_s"] is not None and 1.9 <= out["stall_s"] <= 3.0, out
    assert out["order"] == [1, 2, 3] and out["left"] is False
