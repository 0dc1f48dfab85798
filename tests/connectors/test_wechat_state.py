"""What the WeChat channel remembers (connectors/wechat_state.py): the same behaviour in memory
(one Rasa process) and in Redis (several servers), and in Redis shared between two servers.

Redis tests use the local server's db 5 (GW_TEST_REDIS_URL overrides) and are skipped when no
Redis answers; every key is under a prefix of its own, deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from connectors.wechat_state import (
    ChannelState,
    MemoryState,
    RedisState,
    StateUnavailable,
    channel_state,
)

REDIS_URL = os.environ.get("GW_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")


def _redis_pair() -> Iterator[tuple[RedisState, RedisState]]:
    _redis_or_skip()
    prefix = f"gw-test:{uuid.uuid4().hex[:8]}:"
    one, two = RedisState(REDIS_URL, prefix=prefix), RedisState(REDIS_URL, prefix=prefix)
    yield one, two
    keys = one.redis.keys(prefix + "*")
    if keys:
        one.redis.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> Iterator[ChannelState]:
    if request.param == "memory":
        yield MemoryState()
        return
    for one, _ in _redis_pair():
        yield one


@pytest.fixture
def servers() -> Iterator[tuple[RedisState, RedisState]]:
    """Two Rasa servers' views of one Redis."""
    yield from _redis_pair()


def test_a_key_is_claimed_once(state: ChannelState) -> None:
    assert state.claim("msg:1", 600)
    assert not state.claim("msg:1", 600)
    assert state.claim("msg:2", 600)


def test_the_window_unsubscribes_and_menus_are_remembered(state: ChannelState) -> None:
    assert state.last_seen("o-a") is None
    state.saw("o-a", 1700000000.5)
    assert state.last_seen("o-a") == 1700000000.5
    assert not state.is_unsubscribed("o-a")
    state.set_unsubscribed("o-a", True)
    assert state.is_unsubscribed("o-a")
    state.set_unsubscribed("o-a", False)
    assert not state.is_unsubscribed("o-a")
    state.set_menu("o-a", ["/report", "/status"])
    assert state.menu("o-a") == ["/report", "/status"]
    state.drop_menu("o-a", ["/other"])  # a later turn showed another menu: it stays
    assert state.menu("o-a") == ["/report", "/status"]
    state.drop_menu("o-a", ["/report", "/status"])
    assert state.menu("o-a") is None


def test_a_push_is_sent_once_and_a_failed_one_may_be_retried(state: ChannelState) -> None:
    assert state.push_begin("7:2026-12-01") == "go"
    assert state.push_begin("7:2026-12-01") == "sending"  # another sender, meanwhile
    state.push_done("7:2026-12-01", sent=True)
    assert state.push_begin("7:2026-12-01") == "sent"
    assert state.push_begin("8:2026-12-01") == "go"
    state.push_done("8:2026-12-01", sent=False)
    assert state.push_begin("8:2026-12-01") == "go"


def test_the_access_token_storage_keeps_what_wechatpy_stores(state: ChannelState) -> None:
    session = state.session()
    session.set("wx-app_access_token", "TOKEN-1", 7200)
    assert session.get("wx-app_access_token") == "TOKEN-1"


def test_two_servers_share_claims_window_menus_pushes_and_token(
    servers: tuple[RedisState, RedisState],
) -> None:
    one, two = servers
    assert one.claim("msg:42", 600)
    assert not two.claim("msg:42", 600), "a WeChat retry reaching the other server"
    one.saw("o-b", 1700000100.0)
    assert two.last_seen("o-b") == 1700000100.0
    one.set_unsubscribed("o-b", True)
    assert two.is_unsubscribed("o-b")
    one.set_menu("o-b", ["/a", "/b"])
    assert two.menu("o-b") == ["/a", "/b"]
    assert one.push_begin("9:x") == "go"
    one.push_done("9:x", sent=True)
    assert two.push_begin("9:x") == "sent"
    one.session().set("wx_access_token", "SHARED", 7200)
    assert two.session().get("wx_access_token") == "SHARED"


def test_an_unreachable_redis_is_reported_not_hidden() -> None:
    down = RedisState("redis://127.0.0.1:9/0")  # nothing listens on port 9
    with pytest.raises(StateUnavailable):
        down.claim("msg:1", 600)


def test_without_a_redis_url_the_state_stays_in_memory() -> None:
    assert isinstance(channel_state(""), MemoryState)
    assert isinstance(channel_state(None), MemoryState)
    assert isinstance(channel_state("redis://127.0.0.1:6379/5"), RedisState)
