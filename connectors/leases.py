"""One request at a time per key, across every Rasa server: a hotline call, a resent message.

A hotline request reads the call's conversation, may restart it, and then runs the bot's turn;
two requests of one call (a double click, an agent's retry that the load balancer sends to the
other server) must not interleave those steps. A REST message resent with its `message_id`
while its first copy still runs must wait for that copy's answer instead of running again
(connectors/turn_ids.py). Rasa's own lock store orders turns but not the steps before them, and
may not be held twice by one request. So the channels take a lease of their own per key: an
asyncio.Lock in one process (`make run`), a Redis lock (redis-py's `Lock`: SET NX PX with a
token, released by a compare-and-delete script) when GW_REDIS_URL is set.

The Redis lease lasts LEASE_S and is renewed every LEASE_S / 3 while its request runs, so a
long turn keeps it, and a server killed while holding it stalls the key for LEASE_S at most:
the next request then holds it and finds in the conversation whatever the dead one saved. A
request waits for the lease WAIT_S at most, then is refused as busy (503 with Retry-After):
it is never run beside the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

logger = logging.getLogger(__name__)

#: A Redis lease expires this long after its holder last renewed it (a killed server's).
LEASE_S = 15.0
#: How long a request waits for the key's lease before it is refused as busy (a turn takes
#: a second or two; clients wait 60 s for an answer).
WAIT_S = 30.0
#: What a refused request is told to wait before it sends again (Retry-After, seconds).
RETRY_AFTER_S = 5


class LeaseBusy(Exception):
    """The key's lease could not be had in time, or the lease store is unreachable."""


class Leases:
    """Per-key leases; `hold(key)` is an async context manager."""

    def __init__(
        self,
        redis_url: str = "",
        prefix: str = "gw:lease:",
        ttl_s: float = LEASE_S,
        wait_s: float = WAIT_S,
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
    async def hold(self, key: str) -> AsyncIterator[None]:
        if self.redis is None:
            lock = self._local_lock(key)
            try:
                await asyncio.wait_for(lock.acquire(), self.wait_s)
            except asyncio.TimeoutError as exc:
                raise LeaseBusy("another request holds the key") from exc
            try:
                yield
            finally:
                lock.release()
            return
        import redis

        lock = self.redis.lock(
            f"{self.prefix}{key}",
            timeout=self.ttl_s,
            blocking_timeout=self.wait_s,
            thread_local=False,
        )
        try:
            acquired = await lock.acquire()
        except (redis.RedisError, OSError) as exc:
            raise LeaseBusy(f"lease store unavailable: {type(exc).__name__}") from exc
        if not acquired:
            raise LeaseBusy("another request holds the key")
        renewer = asyncio.get_running_loop().create_task(self._renew(lock, key))
        try:
            yield
        finally:
            renewer.cancel()
            try:
                await lock.release()
            except (redis.RedisError, OSError) as exc:  # expired meanwhile, or Redis gone
                logger.warning("lease not released: %s", type(exc).__name__)

    async def _renew(self, lock: Any, key: str) -> None:
        """Keeps the lease while its request runs (the holder is alive)."""
        import redis

        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                await lock.reacquire()
            except (redis.RedisError, OSError) as exc:
                # lost (Redis unreachable for a whole lease): another request may now run
                logger.error("lease of %s not renewed: %s", self.prefix, type(exc).__name__)
                return

    def _local_lock(self, key: str) -> asyncio.Lock:
        if len(self._local) > 10_000:
            self._local = {k: v for k, v in self._local.items() if v.locked()}
        return self._local.setdefault(key, asyncio.Lock())
