"""One request at a time per hotline call, across Rasa servers (connectors/call_locks.py).

Two CallLocks on one Redis (db 5, GW_TEST_REDIS_URL overrides) play two servers; skipped when no
Redis answers. In memory (one process) the same interface serialises with asyncio locks.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from connectors.call_locks import CallBusy, CallLocks

REDIS_URL = os.environ.get("GW_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")


async def _overlap(one: CallLocks, two: CallLocks, call_id: str) -> list[str]:
    steps: list[str] = []

    async def request(locks: CallLocks, name: str) -> None:
        async with locks.hold(call_id):
            steps.append(f"{name} in")
            await asyncio.sleep(0.2)
            steps.append(f"{name} out")

    await asyncio.gather(request(one, "a"), request(two, "b"))
    return steps


def test_requests_of_one_call_never_interleave_in_one_process() -> None:
    locks = CallLocks()
    steps = asyncio.run(_overlap(locks, locks, "c-1"))
    assert steps in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_requests_of_one_call_on_two_servers_never_interleave() -> None:
    _redis_or_skip()
    prefix = f"gw-test:{uuid.uuid4().hex[:8]}:"
    steps = asyncio.run(
        _overlap(CallLocks(REDIS_URL, prefix=prefix), CallLocks(REDIS_URL, prefix=prefix), "c-2")
    )
    assert steps in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_a_lock_of_a_dead_server_expires_and_a_busy_call_is_refused() -> None:
    _redis_or_skip()
    prefix = f"gw-test:{uuid.uuid4().hex[:8]}:"

    async def scenario() -> tuple[bool, float]:
        dead = CallLocks(REDIS_URL, prefix=prefix, ttl_s=1.0)
        other = CallLocks(REDIS_URL, prefix=prefix, wait_s=0.3)
        holder = dead.hold("c-3")
        await holder.__aenter__()  # the server dies holding it: never released
        refused = False
        try:
            async with other.hold("c-3"):
                pass
        except CallBusy:
            refused = True
        patient = CallLocks(REDIS_URL, prefix=prefix, wait_s=5.0)
        started = time.monotonic()
        async with patient.hold("c-3"):
            waited = time.monotonic() - started
        return refused, waited

    refused, waited = asyncio.run(scenario())
    assert refused
    assert waited < 2.0  # the lock's 1 s lifetime, not the 5 s wait
