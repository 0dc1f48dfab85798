"""What the WeChat channel remembers between requests, in Redis when several Rasa servers share it.

WeChat retries a message on whichever server the load balancer picks, a status push may be
retried by another sender, and a citizen's next message may reach another server than the one
that showed them a numbered menu. So, with `GW_REDIS_URL` set (`make run-cluster`,
docs/deployment.md), everything the channel must remember lives in Redis:

- claims (`claim`): MsgIds and event keys (de-duplication, 10 min) and signed URLs (replay
  cache, wechat_guard.REPLAY_TTL_S): SET NX EX, so exactly one server wins each key;
- when each citizen last wrote (the 48-hour customer-service window) and who unsubscribed;
- the payloads of the numbered menu last shown to each citizen;
- status pushes by outbox row id (`push_begin` / `push_done`), so that a push retried by another
  sender after WeChat accepted it is not sent twice;
- the access token, in wechatpy's own `RedisStorage` (every server uses the same token instead
  of each fetching one, which would invalidate the others').

Without it (`make run`, one Rasa process) the same interface keeps all of it in memory, as before.
The Redis calls are synchronous: each is one round trip on the local network (well under a
millisecond), less than what it would cost to hand them to a thread. A Redis that cannot be
reached raises `StateUnavailable`; the webhook then answers 503 and WeChat retries.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any, Protocol

from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

#: How long a MsgId is remembered: WeChat retries three times within about 15 seconds.
DEDUPE_TTL_S = 600
#: A push whose sender has not said "done" within this time may be sent again.
PUSH_SENDING_TTL_S = 120
#: How long a push that WeChat accepted is remembered (the outbox stops retrying far earlier).
PUSH_SENT_TTL_S = 7 * 86400
#: The numbered menu is forgotten after a day (the citizen has moved on).
MENU_TTL_S = 86400
#: Unsubscribes are remembered for a year, or until the citizen writes again.
UNSUBSCRIBED_TTL_S = 365 * 86400


class StateUnavailable(Exception):
    """The shared state (Redis) could not be reached: the request is not handled."""


class ChannelState(Protocol):
    """The channel's memory; `MemoryState` (one process) or `RedisState` (several servers)."""

    def claim(self, key: str, ttl_s: float) -> bool:
        """True the first time `key` is claimed within `ttl_s` seconds, False afterwards."""
        ...

    def release(self, key: str) -> None:
        """Forgets a claim: what it guarded was not taken after all (WeChat's retry is)."""
        ...

    def saw(self, user: str, at: float) -> None: ...

    def last_seen(self, user: str) -> float | None: ...

    def set_unsubscribed(self, user: str, unsubscribed: bool) -> None: ...

    def is_unsubscribed(self, user: str) -> bool: ...

    def set_menu(self, user: str, payloads: list[str]) -> None: ...

    def menu(self, user: str) -> list[str] | None: ...

    def drop_menu(self, user: str, shown: list[str]) -> None:
        """Forgets the menu, unless another turn has shown a different one since."""
        ...

    def push_begin(self, push_id: str) -> str:
        """ "go" (this caller sends it), "sending" (another is sending it now) or "sent"."""
        ...

    def push_done(self, push_id: str, sent: bool) -> None:
        """Records the push as sent, or forgets the claim so that a retry may send it."""
        ...

    def session(self) -> SessionStorage:
        """wechatpy's storage for the access token."""
        ...


class MemoryState:
    """One Rasa process's memory (single machine): what the channel kept before issue 17."""

    def __init__(self, max_size: int = 200_000) -> None:
        self.max_size = max_size
        self._claims: OrderedDict[str, float] = OrderedDict()  # key -> expiry (monotonic)
        self._seen: dict[str, float] = {}
        self._unsubscribed: set[str] = set()
        self._menus: dict[str, list[str]] = {}
        self._pushes: dict[str, tuple[str, float]] = {}
        self._session = MemoryStorage()

    def claim(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        # the oldest claims expire first only if all share one TTL; expired ones are also
        # dropped when met below, and the size cap bounds the rest
        while self._claims:
            oldest, expiry = next(iter(self._claims.items()))
            if expiry > now and len(self._claims) < self.max_size:
                break
            self._claims.pop(oldest)
        held = self._claims.get(key)
        if held is not None and held > now:
            return False
        self._claims[key] = now + ttl_s
        self._claims.move_to_end(key)
        return True

    def release(self, key: str) -> None:
        self._claims.pop(key, None)

    def saw(self, user: str, at: float) -> None:
        self._seen[user] = at

    def last_seen(self, user: str) -> float | None:
        return self._seen.get(user)

    def set_unsubscribed(self, user: str, unsubscribed: bool) -> None:
        if unsubscribed:
            self._unsubscribed.add(user)
        else:
            self._unsubscribed.discard(user)

    def is_unsubscribed(self, user: str) -> bool:
        return user in self._unsubscribed

    def set_menu(self, user: str, payloads: list[str]) -> None:
        self._menus[user] = list(payloads)

    def menu(self, user: str) -> list[str] | None:
        return self._menus.get(user)

    def drop_menu(self, user: str, shown: list[str]) -> None:
        if self._menus.get(user) == shown:
            self._menus.pop(user, None)

    def push_begin(self, push_id: str) -> str:
        now = time.monotonic()
        state = self._pushes.get(push_id)
        if state is not None and state[1] > now:
            return state[0]
        self._pushes[push_id] = ("sending", now + PUSH_SENDING_TTL_S)
        return "go"

    def push_done(self, push_id: str, sent: bool) -> None:
        if sent:
            self._pushes[push_id] = ("sent", time.monotonic() + PUSH_SENT_TTL_S)
        else:
            self._pushes.pop(push_id, None)

    def session(self) -> SessionStorage:
        return self._session


class RedisState:
    """The channel's memory in Redis, shared by every Rasa server (keys under `prefix`)."""

    def __init__(self, url: str, prefix: str = "gw:wechat:") -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.redis: Any = redis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, decode_responses=True
        )
        self.prefix = prefix

    def _k(self, kind: str, key: str) -> str:
        return f"{self.prefix}{kind}:{key}"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.redis, method)(*args, **kwargs)
        except self._errors as exc:
            raise StateUnavailable(f"redis: {type(exc).__name__}") from exc

    def claim(self, key: str, ttl_s: float) -> bool:
        return bool(self._call("set", self._k("claim", key), "1", nx=True, ex=max(1, int(ttl_s))))

    def release(self, key: str) -> None:
        self._call("delete", self._k("claim", key))

    def saw(self, user: str, at: float) -> None:
        # kept a little longer than any window an operator would configure (48 h by default)
        self._call("set", self._k("seen", user), repr(at), ex=7 * 86400)

    def last_seen(self, user: str) -> float | None:
        raw = self._call("get", self._k("seen", user))
        return float(raw) if raw else None

    def set_unsubscribed(self, user: str, unsubscribed: bool) -> None:
        if unsubscribed:
            self._call("set", self._k("unsubscribed", user), "1", ex=UNSUBSCRIBED_TTL_S)
        else:
            self._call("delete", self._k("unsubscribed", user))

    def is_unsubscribed(self, user: str) -> bool:
        return bool(self._call("exists", self._k("unsubscribed", user)))

    def set_menu(self, user: str, payloads: list[str]) -> None:
        self._call("set", self._k("menu", user), json.dumps(payloads), ex=MENU_TTL_S)

    def menu(self, user: str) -> list[str] | None:
        raw = self._call("get", self._k("menu", user))
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return [str(p) for p in value] if isinstance(value, list) else None

    def drop_menu(self, user: str, shown: list[str]) -> None:
        # compare-and-delete in one step: a menu shown by a later turn on another server stays
        script = (
            "if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) else return 0 end"
        )
        self._call("eval", script, 1, self._k("menu", user), json.dumps(shown))

    def push_begin(self, push_id: str) -> str:
        key = self._k("push", push_id)
        if self._call("set", key, "sending", nx=True, ex=PUSH_SENDING_TTL_S):
            return "go"
        state = self._call("get", key)
        if state is None:  # expired in between: try once more
            return (
                "go"
                if self._call("set", key, "sending", nx=True, ex=PUSH_SENDING_TTL_S)
                else "sending"
            )
        return str(state)

    def push_done(self, push_id: str, sent: bool) -> None:
        key = self._k("push", push_id)
        if sent:
            self._call("set", key, "sent", ex=PUSH_SENT_TTL_S)
        else:
            self._call("delete", key)

    def session(self) -> SessionStorage:
        from wechatpy.session.redisstorage import RedisStorage

        return RedisStorage(self.redis, prefix=f"{self.prefix}wechatpy")


def channel_state(redis_url: str | None) -> ChannelState:
    """RedisState when a Redis URL is configured, else this process's memory."""
    return RedisState(redis_url) if redis_url else MemoryState()


__all__ = [
    "DEDUPE_TTL_S",
    "ChannelState",
    "MemoryState",
    "RedisState",
    "StateUnavailable",
    "channel_state",
]
