"""Rasa's SQL tracker store, tuned for SQLite: WAL journal and synchronous=NORMAL.

Conversations must survive a restart of the Rasa server (they do: every event is committed), but
an fsync per turn made the tracker save ~11 % of the server's CPU time under load. WAL with
synchronous=NORMAL keeps committed turns across a process crash and loses at most the last
turns on a power cut. PostgreSQL URLs are used exactly as by Rasa's own SQLTrackerStore.

Conversations hold personal data (what citizens typed, their phone numbers). With `retention_days`
set (endpoints.yml), the store deletes, about once an hour, every event older than that which no
longer belongs to a conversation's current session, and whole conversations idle for longer. The
filed report itself, with the reporter's own words, lives in the case store, not here.

A turn that cannot be saved (the database locked past its busy timeout, or down) must not look
saved. Rasa wraps every tracker store in its FailSafeTrackerStore, which logs a failed save, keeps
the tracker in an in-memory store nobody reads and lets the channel answer as if all were well:
the citizen sees the bot's reply, and the turn is gone. These stores raise
`TrackerStoreUnavailable` instead, `FailSafeTrackerStore` lets it through (see
`_fail_loudly`), and the channels (connectors/) tell the citizen the message was not saved.
Engines are made with `hide_parameters`, so a failed statement never prints what a citizen typed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)


#: How long a SQLite write waits for a lock (seconds) unless GW_SQLITE_BUSY_TIMEOUT_S says
#: otherwise. Read from the environment here: rasa_ext may not import bot.config (pyproject.toml).
DEFAULT_BUSY_TIMEOUT_S = 10.0


class TrackerStoreUnavailable(Exception):
    """The tracker database could not load or save a conversation: the turn is not saved."""


def busy_timeout_ms() -> int:
    raw = os.environ.get("GW_SQLITE_BUSY_TIMEOUT_S", "")
    try:
        seconds = float(raw) if raw.strip() else DEFAULT_BUSY_TIMEOUT_S
    except ValueError:
        seconds = DEFAULT_BUSY_TIMEOUT_S
    return max(0, int(seconds * 1000))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    cur.close()


def _failure(action: str, exc: Exception) -> TrackerStoreUnavailable:
    """Logs a failed load or save with the driver's reason: its first line only, which names
    the fault ("database is locked"), never the statement's parameters (what citizens typed)."""
    orig = getattr(exc, "orig", None)
    reason = (str(orig).splitlines() or [""])[0][:200] if orig is not None else ""
    reason = f"{type(orig or exc).__name__}: {reason}" if reason else type(orig or exc).__name__
    logger.error("tracker store could not %s a conversation: %s", action, reason)
    return TrackerStoreUnavailable(f"could not {action} the conversation: {reason}")


_failsafe_patched = False


def _fail_loudly() -> None:
    """Lets a failure of our stores through Rasa's FailSafeTrackerStore.

    Rasa 3.6 wraps the configured store in FailSafeTrackerStore (rasa/core/agent.py), whose
    `save` logs an error and saves to an in-memory fallback nobody reads, and whose `retrieve`
    answers None, so a conversation whose database is down starts afresh. Both hide the failure
    from the channel that must tell the citizen. For stores of this module only, the wrapper now
    calls the store directly; any other store keeps Rasa's behaviour.
    """
    global _failsafe_patched
    if _failsafe_patched:
        return
    original_save = FailSafeTrackerStore.save
    original_retrieve = FailSafeTrackerStore.retrieve

    async def save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
        if isinstance(self._tracker_store, GreenWhistleTrackerStore):
            await self._tracker_store.save(tracker)
            return
        await original_save(self, tracker)

    async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
        if isinstance(self._tracker_store, GreenWhistleTrackerStore):
            return await self._tracker_store.retrieve(sender_id)
        return await original_retrieve(self, sender_id)

    FailSafeTrackerStore.save = save
    FailSafeTrackerStore.retrieve = retrieve
    _failsafe_patched = True


#: How often the retention purge runs (seconds), at most.
PURGE_INTERVAL = 3600.0


class GreenWhistleTrackerStore(SQLTrackerStore):
    """Configured in endpoints.yml as `type: rasa_ext.tracker_store.GreenWhistleTrackerStore`."""

    engine: Any

    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        retention_days: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        _fail_loudly()
        days = float(retention_days) if retention_days not in (None, "") else 0.0
        self.retention_seconds = days * 86400.0 if days > 0 else None
        self._last_purge = 0.0
        self._purging: asyncio.Future[int] | None = None
        if self.engine.dialect.name == "sqlite":
            # Rasa's engine opens and closes a SQLite connection per operation (NullPool); closing
            # the last connection checkpoints the WAL every time. Keep connections pooled.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url,
                poolclass=QueuePool,
                pool_size=4,
                max_overflow=4,
                connect_args={"check_same_thread": False},
                hide_parameters=True,
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            logger.debug("SQLite tracker store in WAL mode with pooled connections")
        else:
            # Rasa's own engine, as Rasa makes it, but without parameters in its errors
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, hide_parameters=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except sa.exc.SQLAlchemyError as exc:
            raise _failure("load", exc) from exc

    async def save(self, tracker: DialogueStateTracker) -> None:
        self.maybe_purge()
        try:
            await super().save(tracker)
        except sa.exc.SQLAlchemyError as exc:
            raise _failure("save", exc) from exc

    def purge_before(self, cutoff: float) -> int:
        """Deletes events older than `cutoff` (a UNIX time) that Rasa no longer reads: those before
        their conversation's last session start (Rasa reads from that timestamp on), and every
        event of conversations idle since before `cutoff`. Returns the number of events deleted."""
        ev = self.SQLEvent.__table__
        idle = (
            sa.select(ev.c.sender_id)
            .group_by(ev.c.sender_id)
            .having(sa.func.max(ev.c.timestamp) < cutoff)
        )
        later = ev.alias("later")
        session_after = (
            sa.select(later.c.id)
            .where(
                later.c.sender_id == ev.c.sender_id,
                later.c.type_name == SessionStarted.type_name,
                later.c.timestamp > ev.c.timestamp,
            )
            .exists()
        )
        stmt = ev.delete().where(
            ev.c.timestamp < cutoff, sa.or_(ev.c.sender_id.in_(idle), session_after)
        )
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).rowcount or 0)

    def maybe_purge(self) -> None:
        """Starts the retention purge in a worker thread when it is due (at most hourly)."""
        now = time.time()
        if self.retention_seconds is None or self._purging is not None:
            return
        if now - self._last_purge < PURGE_INTERVAL:
            return
        self._last_purge = now
        cutoff = now - self.retention_seconds
        loop = asyncio.get_running_loop()
        self._purging = loop.run_in_executor(None, self.purge_before, cutoff)
        self._purging.add_done_callback(lambda fut: self._purged(fut, cutoff))

    def _purged(self, fut: asyncio.Future[int], cutoff: float) -> None:
        self._purging = None
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            # the conversation goes on; the purge is tried again at the next interval
            logger.warning("tracker retention purge failed: %s", exc)
            return
        deleted = fut.result()
        if deleted:
            logger.info("tracker retention: deleted %d conversation events", deleted)


class CachedTrackerStore(GreenWhistleTrackerStore):
    """GreenWhistleTrackerStore with a write-through cache of each conversation's events.

    Rasa rebuilds a conversation from the database on every message: a query, JSON parsing and a
    class lookup per event, about 15 % of the server's CPU time under load. One Rasa process owns
    its conversations, so the events it saved last are exactly what the database holds; the cache
    serves them back, and saves skip the count query. The database stays the source of truth:
    a restarted server starts with an empty cache, and a conversation whose tracker starts a new
    session mid-way is dropped from the cache and read back from the database next time.

    Several Rasa servers on one tracker database (docs/deployment.md): with `shared: true`
    (endpoints.cluster.yml) every cached conversation carries its version, the highest event id
    it had in the database, and a retrieve first asks the database for that number (one indexed
    query): a conversation another server has written since is read back whole. Rasa's lock store
    (Redis) keeps two servers from writing one conversation at once, so the version read after a
    save is this server's own write. Without `shared`, run one Rasa server per tracker database.
    bench/tracker_cache.py compares this with no cache at all (GreenWhistleTrackerStore).
    """

    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        cache_size: int = 5000,
        shared: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        self._cache: OrderedDict[str, list[Any]] = OrderedDict()
        self._cache_size = int(cache_size)
        self.shared = str(shared).strip().lower() in {"1", "true", "yes", "on"}
        #: shared mode: the highest event id of each cached conversation when it was cached
        self._versions: dict[str, int | None] = {}

    def version(self, sender_id: str) -> int | None:
        """The conversation's version in the database: its highest event id (None: no events).

        Events are only appended (ids grow) or deleted by the retention purge, so any write by
        another server changes it."""
        try:
            with self.engine.connect() as conn:
                return self._max_id(conn, sender_id)
        except sa.exc.SQLAlchemyError as exc:
            raise _failure("load", exc) from exc

    def _max_id(self, conn: Any, sender_id: str) -> int | None:
        ev = self.SQLEvent.__table__
        found = conn.execute(
            sa.select(sa.func.max(ev.c.id)).where(ev.c.sender_id == sender_id)
        ).scalar()
        return None if found is None else int(found)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation from the cache, else from the database (TrackerStoreUnavailable)."""
        events = self._cache.get(sender_id)
        version = self.version(sender_id) if self.shared else None
        if events is not None and self.shared and version != self._versions.get(sender_id):
            events = None  # another server wrote it since: read it back
        if events is None or self.domain is None:
            # the version is read before the events: a write in between makes it look older
            # than the events, so the next retrieve reads again (never the other way round)
            tracker = await super().retrieve(sender_id)
            if tracker is not None:
                self._remember(sender_id, list(tracker.events), version)
            return tracker
        self._cache.move_to_end(sender_id)
        return DialogueStateTracker.from_events(sender_id, list(events), self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Writes the turn's new events; on failure (TrackerStoreUnavailable) the conversation is
        dropped from the cache, so that nothing but what the database holds is served back."""
        try:
            await self._save(tracker)
        except BaseException:
            self._forget(tracker.sender_id)
            raise

    async def _save(self, tracker: DialogueStateTracker) -> None:
        self.maybe_purge()
        cached = self._cache.get(tracker.sender_id)
        events = list(tracker.events)
        version: int | None = None
        version_known = False  # shared mode: read with the write, no query of its own
        if cached is None or len(events) < len(cached):
            await super().save(tracker)
        else:
            await self.stream_events(tracker)
            rows = []
            for event in events[len(cached) :]:
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                # one multi-row INSERT in one transaction; the ORM unit of work cost more
                # than the write itself
                try:
                    with self.engine.begin() as conn:
                        conn.execute(self.SQLEvent.__table__.insert(), rows)
                        if self.shared:
                            version, version_known = self._max_id(conn, tracker.sender_id), True
                except sa.exc.SQLAlchemyError as exc:
                    raise _failure("save", exc) from exc
            elif self.shared:
                version, version_known = self._versions.get(tracker.sender_id), True
        starts = [i for i, e in enumerate(events) if isinstance(e, SessionStarted)]
        if starts and starts[-1] > 1:
            self._forget(tracker.sender_id)  # a new session began: reread from the DB
        else:
            if self.shared and not version_known:
                version = self.version(tracker.sender_id)
            self._remember(tracker.sender_id, events, version)

    def _purged(self, fut: asyncio.Future[int], cutoff: float) -> None:
        super()._purged(fut, cutoff)
        # conversations idle since before the cutoff are gone from the database: forget them here
        stale = [
            sender
            for sender, events in self._cache.items()
            if not events or (getattr(events[-1], "timestamp", None) or 0) < cutoff
        ]
        for sender in stale:
            self._forget(sender)

    def _remember(self, sender_id: str, events: list[Any], version: int | None = None) -> None:
        self._cache[sender_id] = events
        self._versions[sender_id] = version
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self._cache_size:
            oldest, _ = self._cache.popitem(last=False)
            self._versions.pop(oldest, None)

    def _forget(self, sender_id: str) -> None:
        self._cache.pop(sender_id, None)
        self._versions.pop(sender_id, None)
