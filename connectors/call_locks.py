"""One request at a time per hotline call, across every Rasa server (connectors/hotline.py).

A new-call request reads the call's conversation, may restart it, and then runs the bot's turn;
two requests of one call (a double click, an agent's retry that the load balancer sends to the
other server) must not interleave those steps. Rasa's own lock store orders the turns but not
the steps before them, and may not be held twice by one request. So the channel takes a lock
of its own per call: an asyncio.Lock in one process (`make run`), a Redis lock (redis-py's
`Lock`, SET NX PX with a token, released by a compare-and-delete script) when GW_REDIS_URL is
set. A Redis lock expires after CALL_LOCK_TTL_S, so a server killed while holding it stalls
that call for at most that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

logger = logging.getLogger(__name__)

#: A Redis call lock expires after this long (a new call's draft and turn take a few seconds).
CALL_LOCK_TTL_S = 30.0
#: How long a request waits for the call's lock before it is refused as busy.
CALL_LOCK_WAIT_S = 30.0


class CallBusy(Exception):
    """The call's lock could not be had in time, or the lock's store is unreachable."""


class CallLocks:
    """Per-call locks; `hold(call_id)` is an async context manager."""

    def __init__(
        self,
        redis_url: str = "",
        prefix: str = "gw:hotline:call:",
        ttl_s: float = CALL_LOCK_TTL_S,
        wait_s: float = CALL_LOCK_WAIT_S,
    ) -> None:
        self._local: dict[str, asyncio.Lock] = {}
        self.prefix = prefix
        self.ttl_s, self.wait_s = ttl_s, wait_s
        self.redis: Any = None
        if redis_url:
            import redis.asyncio

            self.redis = redis.asyncio.Redis.from_url(
                redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
            )

    @contextlib.asynccontextmanager
    async def hold(self, call_id: str) -> AsyncIterator[None]:
        if self.redis is None:
            async with self._local_lock(call_id):
                yield
            return
        import redis

        lock = self.redis.lock(
            f"{self.prefix}{call_id}",
            timeout=self.ttl_s,
            blocking_timeout=self.wait_s,
            thread_local=False,
        )
        try:
            acquired = await lock.acquire()
        except (redis.RedisError, OSError) as exc:
            raise CallBusy(f"call lock store unavailable: {type(exc).__name__}") from exc
        if not acquired:
            raise CallBusy("the call is busy with another request")
        try:
            yield
        finally:
            try:
                await lock.release()
            except (redis.RedisError, OSError) as exc:  # expired meanwhile, or Redis gone
                logger.warning("hotline call lock not released: %s", type(exc).__name__)

    def _local_lock(self, call_id: str) -> asyncio.Lock:
        if len(self._local) > 10_000:
            self._local = {k: v for k, v in self._local.items() if v.locked()}
        return self._local.setdefault(call_id, asyncio.Lock())
