"""Rasa's Redis lock store, fixed so that a dead server's lock stalls a conversation only briefly.

Configured in endpoints.cluster.yml as `type: rasa_ext.lock_store.GreenWhistleLockStore`, with the
settings of Rasa's `redis` lock store (url, port, db, key_prefix, password …).

Rasa 3.6's RedisLockStore serves a conversation's messages in ticket order; each ticket expires
TICKET_LOCK_LIFETIME seconds after it was issued, so that a server that died holding the lock
does not hold it for ever. Measured with two servers (bench/turns.py --cluster), it does not work
as meant, for two reasons this class fixes:

- A waiting request's own ticket expires while it waits. When the dead server's ticket expires
  less than one polling interval (1 s) before the waiter's own, the waiter never sees itself
  first in line and waits for ever (the message to the other server hung past the benchmark's
  120 s timeout after a kill). Here a waiting request renews its ticket on every poll: only
  the tickets of requests that stopped polling (dead servers) expire. A waiter whose ticket was
  lost nonetheless takes a new one at the end of the line.
- Issuing, renewing and removing tickets read the lock, change it and write it back: two servers
  doing so at once could drop each other's tickets. Here each of those steps holds a short Redis
  mutex of the conversation (redis-py's Lock: SET NX PX with a token).

It also polls every 50 ms instead of every second, so a message that waits behind the previous
one of its conversation waits for that turn, not for the next whole second. Everything else
(keys, the JSON of a lock, the lifetime from TICKET_LOCK_LIFETIME) is Rasa's, so servers with
either class may share a Redis during a rolling upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)

#: How often a waiting request looks whether it is first in line (seconds).
POLL_S = 0.05
#: The mutex around one read-modify-write of a lock: held for a few milliseconds.
MUTEX_TTL_S = 5.0


class GreenWhistleLockStore(RedisLockStore):
    """RedisLockStore whose waiters keep their place and whose updates do not race."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # Rasa builds a module-path lock store this way
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        self.poll_s = float(kwargs.pop("poll_s", POLL_S))
        super().__init__(**kwargs)

    @contextlib.contextmanager
    def _mutex(self, conversation_id: str) -> Iterator[None]:
        mutex = self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex",
            timeout=MUTEX_TTL_S,
            sleep=0.005,
            blocking_timeout=MUTEX_TTL_S,
        )
        if not mutex.acquire():
            raise LockError(f"lock of conversation '{conversation_id}' is busy")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # expired meanwhile: nothing to release
                mutex.release()

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return int(super().issue_ticket(conversation_id, lock_lifetime))

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            ticket, lock = await self._wait_in_line(conversation_id, ticket, lock_lifetime)
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

    async def _wait_in_line(
        self, conversation_id: str, ticket: int, lifetime: float
    ) -> tuple[int, TicketLock]:
        """Waits until `ticket` is first in line; returns the ticket (renumbered if it had to
        take a new place) and the lock."""
        while True:
            with self._mutex(conversation_id):
                lock = self.get_lock(conversation_id) or TicketLock(conversation_id)
                lock.remove_expired_tickets()
                mine = next((t for t in lock.tickets if t.number == ticket), None)
                if mine is None:
                    # lost (expired while this server was too busy to poll): back in line
                    ticket = lock.issue_ticket(lifetime)
                    logger.warning("lock ticket of a conversation lost; waiting again")
                elif lock.now_serving != ticket:
                    mine.expires = time.time() + lifetime  # alive and waiting
                self.save_lock(lock)
                if lock.now_serving == ticket:
                    return ticket, lock
            await asyncio.sleep(self.poll_s)
