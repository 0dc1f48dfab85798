"""One request at a time per key, across Rasa servers (connectors/leases.py): a hotline call, or
a REST message resent with its message_id while the first copy still runs.

Two Leases on one Redis (db 12, GW_TEST_REDIS_URL overrides) play two servers; skipped when no
Redis answers. In memory (one process) the same interface serialises with asyncio locks.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from connectors.leases import LeaseBusy, Leases

REDIS_URL = os.environ.get("GW_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")


def _prefix() -> str:
    return f"gw-test:{uuid.uuid4().hex[:8]}:"


async def _overlap(one: Leases, two: Leases, key: str) -> list[str]:
    steps: list[str] = []

    async def request(leases: Leases, name: str) -> None:
        async with leases.hold(key):
            steps.append(f"{name} in")
            await asyncio.sleep(0.2)
            steps.append(f"{name} out")

    await asyncio.gather(request(one, "a"), request(two, "b"))
    return steps


SERIAL = (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_requests_of_one_key_never_interleave_in_one_process() -> None:
    leases = Leases()
    assert asyncio.run(_overlap(leases, leases, "c-1")) in SERIAL


def test_requests_of_one_key_on_two_servers_never_interleave() -> None:
    _redis_or_skip()
    prefix = _prefix()
    steps = asyncio.run(
        _overlap(Leases(REDIS_URL, prefix=prefix), Leases(REDIS_URL, prefix=prefix), "c-2")
    )
    assert steps in SERIAL


@pytest.mark.parametrize("shared", [False, True], ids=["memory", "redis"])
def test_a_request_that_waits_too_long_is_refused_never_run_beside_the_first(
    shared: bool,
) -> None:
    if shared:
        _redis_or_skip()
    url, prefix = (REDIS_URL if shared else ""), _prefix()

    async def scenario() -> list[str]:
        first = Leases(url, prefix=prefix, wait_s=0.3)
        other = Leases(url, prefix=prefix, wait_s=0.3) if shared else first  # one process
        steps: list[str] = []

        async def slow() -> None:
            async with first.hold("k"):
                steps.append("first in")
                await asyncio.sleep(1.0)
                steps.append("first out")

        async def resend() -> None:
            await asyncio.sleep(0.1)
            try:
                async with other.hold("k"):
                    steps.append("resend ran")
            except LeaseBusy:
                steps.append("resend refused")

        await asyncio.gather(slow(), resend())
        return steps

    assert asyncio.run(scenario()) == ["first in", "resend refused", "first out"]


def test_a_lease_is_renewed_while_its_request_runs() -> None:
    """A turn longer than the lease keeps it: a resend waits for its end, not its lease."""
    _redis_or_skip()
    prefix = _prefix()

    async def scenario() -> tuple[list[str], float]:
        holder = Leases(REDIS_URL, prefix=prefix, ttl_s=0.6)
        other = Leases(REDIS_URL, prefix=prefix, wait_s=5.0)
        steps: list[str] = []

        async def long_turn() -> None:
            async with holder.hold("k"):
                steps.append("first in")
                await asyncio.sleep(2.0)  # over three lease lifetimes
                steps.append("first out")

        async def resend() -> float:
            await asyncio.sleep(0.1)
            started = time.monotonic()
            async with other.hold("k"):
                steps.append("resend in")
            return time.monotonic() - started

        _, waited = await asyncio.gather(long_turn(), resend())
        return steps, waited

    steps, waited = asyncio.run(scenario())
    assert steps == ["first in", "first out", "resend in"]
    assert waited >= 1.8


def test_a_lease_of_a_dead_server_expires() -> None:
    _redis_or_skip()
    prefix = _prefix()

    async def scenario() -> float:
        dead = Leases(REDIS_URL, prefix=prefix, ttl_s=1.0)
        holder = dead.hold("c-3")
        await holder.__aenter__()  # the server dies holding it: never released nor renewed
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()  # its renewal dies with it
        patient = Leases(REDIS_URL, prefix=prefix, wait_s=5.0)
        started = time.monotonic()
        async with patient.hold("c-3"):
            return time.monotonic() - started

    assert asyncio.run(scenario()) < 2.0  # the lease's 1 s lifetime, not the 5 s wait
