"""WeChat messages taken but not yet answered (connectors/wechat_inbox.py): each goes to one
server, is forgotten once answered, and is run by another server when its own dies.

Two RedisInbox objects on one Redis (db 12, GW_TEST_REDIS_URL overrides) play two Rasa servers,
each test on a stream of its own (deleted afterwards), with a lease of a fraction of a second;
skipped when no Redis answers. `poll(block=False)` is one round of a server's reader thread.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from connectors.wechat_inbox import MAX_DELIVERIES, Entry, MemoryInbox, RedisInbox
from connectors.wechat_state import StateUnavailable

REDIS_URL = os.environ.get("GW_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
LEASE_S = 0.6
XML = "<xml><ToUserName>gh</ToUserName><FromUserName>o-1</FromUserName><MsgId>1</MsgId></xml>"


@pytest.fixture
def servers() -> Iterator[tuple[RedisInbox, RedisInbox]]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    stream = f"gw-test:{uuid.uuid4().hex[:8]}:inbox"
    one, two = (
        RedisInbox(REDIS_URL, stream=stream, consumer=name, lease_s=LEASE_S, renew_s=0.1)
        for name in ("rasa-1", "rasa-2")
    )
    one.poll(block=False)  # creates the group, as each server's reader does at start
    yield one, two
    one.redis.delete(stream)


def test_in_one_process_a_message_goes_straight_to_its_turn() -> None:
    inbox = MemoryInbox()
    with pytest.raises(StateUnavailable):
        inbox.add(XML, "2026-01-01T00:00:00+00:00")  # not started: WeChat gets a 503
    got: list[Entry] = []
    inbox.start(got.append, asyncio.new_event_loop())
    inbox.add(XML, "2026-01-01T00:00:00+00:00")
    assert [(e.xml, e.redelivered) for e in got] == [(XML, False)]


def test_each_message_goes_to_one_server_and_is_forgotten_once_answered(
    servers: tuple[RedisInbox, RedisInbox],
) -> None:
    one, two = servers
    one.add(XML, "2026-01-01T00:00:00+00:00")
    two.add(XML.replace("<MsgId>1", "<MsgId>2"), "2026-01-01T00:00:01+00:00")
    got_one, got_two = one.poll(block=False), two.poll(block=False)
    got = got_one + got_two
    assert len(got) == len({e.id for e in got}) == 2
    assert {e.xml for e in got} == {XML, XML.replace("<MsgId>1", "<MsgId>2")}
    assert not one.poll(block=False) and not two.poll(block=False)
    for entry in got_one:
        one.done(entry.id)
    for entry in got_two:
        two.done(entry.id)
    assert one.redis.xlen(one.stream) == 0
    assert one.redis.xpending(one.stream, one.group)["pending"] == 0


def test_a_dead_servers_message_is_run_by_the_other_after_the_lease(
    servers: tuple[RedisInbox, RedisInbox],
) -> None:
    dead, alive = servers
    dead.add(XML, "2026-01-01T00:00:00+00:00")
    (taken,) = dead.poll(block=False)  # then killed: no renewal, no acknowledgement
    assert alive.poll(block=False) == []  # within the lease it is still the dead one's
    time.sleep(LEASE_S + 0.1)
    (again,) = alive.poll(block=False)
    assert (again.id, again.xml, again.redelivered) == (taken.id, XML, True)
    alive.done(again.id)
    time.sleep(LEASE_S + 0.1)
    assert alive.poll(block=False) == [] and alive.redis.xlen(alive.stream) == 0


def test_a_live_server_keeps_its_messages_however_long_their_turns(
    servers: tuple[RedisInbox, RedisInbox],
) -> None:
    busy, other = servers
    busy.add(XML, "2026-01-01T00:00:00+00:00")
    (taken,) = busy.poll(block=False)
    deadline = time.monotonic() + 3 * LEASE_S
    while time.monotonic() < deadline:  # its reader renews while the turn runs
        assert busy.poll(block=False) == []
        assert other.poll(block=False) == [], "taken over from a live server"
        time.sleep(0.1)
    busy.done(taken.id)


def test_a_message_that_kills_every_server_is_dropped_after_a_few_tries(
    servers: tuple[RedisInbox, RedisInbox],
) -> None:
    one, _ = servers
    one.add(XML, "2026-01-01T00:00:00+00:00")
    tries = len(one.poll(block=False))
    for _ in range(MAX_DELIVERIES + 1):
        time.sleep(LEASE_S + 0.1)
        fresh = RedisInbox(  # a new server each time: the last one died of it
            REDIS_URL, stream=one.stream, consumer=uuid.uuid4().hex, lease_s=LEASE_S
        )
        tries += len(fresh.poll(block=False))
    assert tries == MAX_DELIVERIES
    assert one.redis.xlen(one.stream) == 0


def test_the_stream_is_recreated_if_redis_lost_it(servers: tuple[RedisInbox, RedisInbox]) -> None:
    one, _ = servers
    one.redis.delete(one.stream)  # Redis restarted empty, or flushed
    assert one.poll(block=False) == []  # the group is created again
    one.add(XML, "2026-01-01T00:00:00+00:00")
    assert [e.xml for e in one.poll(block=False)] == [XML]


def test_a_message_not_kept_is_refused() -> None:
    inbox = RedisInbox("redis://127.0.0.1:1/0")
    with pytest.raises(StateUnavailable):
        inbox.add(XML, "2026-01-01T00:00:00+00:00")
