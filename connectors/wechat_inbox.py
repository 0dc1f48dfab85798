"""WeChat messages taken but not yet answered, kept where a surviving Rasa server finds them.

WeChat is answered "success" within 5 s and then does not send the message again; the bot's
turn runs afterwards and its replies go out as customer-service messages. So a message must
outlive the server that took it. With GW_REDIS_URL (`make run-cluster`) the webhook adds it to a
Redis Stream (XADD) before it answers WeChat, and every Rasa server reads that stream as one
consumer group (XREADGROUP): each entry goes to one server, which runs its turn and acknowledges
it (XACK, then XDEL) once the bot's replies are handed to the outbound path (connectors/wechat.py).

A server renews the entries it holds every RENEW_S (XCLAIM … JUSTID resets their idle time). An
entry idle for LEASE_S (its server died, or lost Redis that long) is claimed by another server
(XAUTOCLAIM) and delivered again, marked `redelivered`: the channel then looks in the
conversation first, and a turn the dead server saved is answered from there, not run again. An
entry delivered MAX_DELIVERIES times (a message that kills its server) is dropped with an error.

Without Redis (`make run`, one process) an entry goes straight to the turn, as before: nothing
outlives the process, so a restart loses the messages in flight (the citizen writes again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.wechat_state import StateUnavailable

logger = logging.getLogger(__name__)

#: An entry its server has not renewed for this long is run by another server. Longer than
#: Rasa's conversation lock lifetime (TICKET_LOCK_LIFETIME, 10 s in the cluster), so the dead
#: server's lock has expired by then and its saved turns are in the tracker store.
LEASE_S = 15.0
#: How often a server renews its entries and looks for entries of dead servers.
RENEW_S = 5.0
#: An entry delivered this many times is dropped (logged): it is not worth another server.
MAX_DELIVERIES = 3
STREAM = "gw:wechat:inbox"
GROUP = "turns"


@dataclass(frozen=True)
class Entry:
    """A message taken from WeChat: its decrypted XML and when it arrived (ISO 8601)."""

    id: str
    xml: str
    received_at: str
    #: Delivered before to a server that did not acknowledge it (it died).
    redelivered: bool = False


#: Called on the webhook's event loop with each entry to run.
Deliver = Callable[[Entry], None]


class Inbox(Protocol):
    def start(self, deliver: Deliver, loop: asyncio.AbstractEventLoop) -> None: ...

    def add(self, xml: str, received_at: str) -> None:
        """Keeps the message (StateUnavailable when it cannot): then WeChat may be answered."""
        ...

    def done(self, entry_id: str) -> None:
        """The entry's replies are handed on (or it cannot be run): forget it."""
        ...

    def stop(self) -> None: ...


class MemoryInbox:
    """One process (`make run`): an entry is delivered at once and kept nowhere."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None
        self._count = 0

    def start(self, deliver: Deliver, loop: asyncio.AbstractEventLoop) -> None:
        self._deliver = deliver

    def add(self, xml: str, received_at: str) -> None:
        if self._deliver is None:
            raise StateUnavailable("the channel is not started")
        self._count += 1
        self._deliver(Entry(str(self._count), xml, received_at))

    def done(self, entry_id: str) -> None:
        pass

    def stop(self) -> None:
        pass


class RedisInbox:
    """The stream shared by every Rasa server; this server is one consumer of its group.

    Reading blocks, so it runs in a thread of its own (redis-py's synchronous client, as in
    wechat_state.py), which hands entries to the webhook's loop."""

    def __init__(
        self,
        url: str,
        stream: str = STREAM,
        group: str = GROUP,
        consumer: str | None = None,
        lease_s: float = LEASE_S,
        renew_s: float = RENEW_S,
    ) -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.redis: Any = redis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, decode_responses=True
        )
        # the reader blocks up to renew_s in XREADGROUP: its socket waits longer
        self._reader: Any = redis.Redis.from_url(
            url, socket_timeout=renew_s + 5.0, socket_connect_timeout=2.0, decode_responses=True
        )
        self.stream, self.group = stream, group
        #: The server's pid names it: tests (and operators) find who holds an entry (XPENDING).
        self.consumer = consumer or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_s, self.renew_s = lease_s, renew_s
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, deliver: Deliver, loop: asyncio.AbstractEventLoop) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(deliver, loop), name="wechat-inbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def add(self, xml: str, received_at: str) -> None:
        try:
            self.redis.xadd(self.stream, {"xml": xml, "received_at": received_at})
        except self._errors as exc:
            raise StateUnavailable(f"redis: {type(exc).__name__}") from exc

    def done(self, entry_id: str) -> None:
        with self._held_lock:
            self._held.discard(entry_id)
        try:
            self.redis.pipeline().xack(self.stream, self.group, entry_id).xdel(
                self.stream, entry_id
            ).execute()
        except self._errors as exc:
            # delivered again after LEASE_S; the conversation then shows the turn was run
            logger.error("WeChat inbox entry not acknowledged: %s", type(exc).__name__)

    # -- the reader thread ------------------------------------------------------------------------
    def _run(self, deliver: Deliver, loop: asyncio.AbstractEventLoop) -> None:
        while not self._stopped.is_set():
            try:
                entries = self.poll()
            except self._errors as exc:
                logger.error("WeChat inbox unreachable: %s", type(exc).__name__)
                self._stopped.wait(1.0)
                continue
            try:
                for entry in entries:
                    loop.call_soon_threadsafe(deliver, entry)
            except RuntimeError:  # the loop is closed: the server is stopping
                return

    def poll(self, block: bool = True) -> list[Entry]:
        """One round: renews what this server holds, takes over what a dead server held, and
        waits up to RENEW_S for new entries. The entries returned are held from now on."""
        import redis

        try:
            self._renew()
            entries = self._reclaim() + self._read(block)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._create_group()
            return []
        with self._held_lock:
            self._held.update(e.id for e in entries)
        return entries

    def _create_group(self) -> None:
        import redis

        try:
            self._reader.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _renew(self) -> None:
        with self._held_lock:
            held = set(self._held)
        if not held:
            return
        # only entries still ours: one another server took over (we were cut off for a lease)
        # stays with it
        pending = self._reader.xpending_range(
            self.stream, self.group, "-", "+", len(held) + 100, consumername=self.consumer
        )
        ours = [p["message_id"] for p in pending if p["message_id"] in held]
        if ours:
            self._reader.xclaim(self.stream, self.group, self.consumer, 0, ours, justid=True)

    def _reclaim(self) -> list[Entry]:
        lease_ms = int(self.lease_s * 1000)
        reply = self._reader.xautoclaim(
            self.stream, self.group, self.consumer, lease_ms, "0-0", count=16
        )
        with self._held_lock:
            held = set(self._held)
        out = []
        for entry_id, fields in reply[1]:
            if entry_id in held:  # ours, still running here (a renewal was late)
                continue
            if not fields:  # deleted meanwhile
                self._reader.xack(self.stream, self.group, entry_id)
                continue
            info = self._reader.xpending_range(self.stream, self.group, entry_id, entry_id, 1)
            times = int(info[0]["times_delivered"]) if info else 1
            if times > MAX_DELIVERIES:
                logger.error("WeChat inbox entry %s dropped after %d deliveries", entry_id, times)
                self.done(entry_id)
                continue
            logger.warning("WeChat inbox entry %s taken over from a dead server", entry_id)
            out.append(_entry(entry_id, fields, redelivered=True))
        return out

    def _read(self, block: bool) -> list[Entry]:
        reply = self._reader.xreadgroup(
            self.group,
            self.consumer,
            {self.stream: ">"},
            count=16,
            block=int(self.renew_s * 1000) if block else None,
        )
        return [_entry(i, f) for _, items in reply or [] for i, f in items if f]


def _entry(entry_id: str, fields: dict[str, str], redelivered: bool = False) -> Entry:
    return Entry(entry_id, fields.get("xml", ""), fields.get("received_at", ""), redelivered)


def inbox(redis_url: str | None) -> Inbox:
    """RedisInbox when a Redis URL is configured, else the process's own (MemoryInbox)."""
    return RedisInbox(redis_url) if redis_url else MemoryInbox()


__all__ = ["LEASE_S", "RENEW_S", "Entry", "Inbox", "MemoryInbox", "RedisInbox", "inbox"]
