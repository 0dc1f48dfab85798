"""Conversation retention in rasa_ext.tracker_store, inside the Rasa environment itself.

The tracker database holds what citizens typed. With `retention_days`, old events are deleted
while every conversation still reads back exactly as Rasa read it before. Runs in .venv-rasa
(Python 3.10, Rasa 3.6) as a subprocess, against SQLite and, when TEST_DATABASE_URL is set (.ci/run
sets it), PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV
from tests.conftest import BACKENDS, pg_schema

pytestmark = pytest.mark.e2e

SCRIPT = r"""
import asyncio, json, sys, time
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext import tracker_store as ts

url, table_prefix = sys.argv[1], sys.argv[2]
domain = Domain.load("domain.yml")
DAY = 86400.0
now = time.time()


def conversation(sender, *sessions):
    # sessions: (start time, text) pairs; each session is session start + a user turn
    events = []
    for t, text in sessions:
        events += [
            ActionExecuted("action_session_start", timestamp=t),
            SessionStarted(timestamp=t + 0.001),
            ActionExecuted("action_listen", timestamp=t + 0.002),
            UserUttered(text, {"intent": {"name": "report", "confidence": 1.0}}, timestamp=t + 1),
            SlotSet("phone", "13812345678", timestamp=t + 2),
        ]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


async def main():
    plain = ts.GreenWhistleTrackerStore(domain=domain, host=url)  # no retention
    ev = plain.SQLEvent.__table__
    p = table_prefix
    trackers = {
        "idle": conversation(p + "idle", (now - 40 * DAY, "河边有人倒垃圾")),
        "recent": conversation(p + "recent", (now - 2 * DAY, "工地夜间施工")),
        "mixed": conversation(p + "mixed", (now - 60 * DAY, "旧的举报"), (now - 1 * DAY, "新的举报")),
        # active now, but its one session started long ago: what Rasa reads of it must stay
        "long": conversation(p + "long", (now - 45 * DAY, "一直在聊")),
    }
    trackers["long"].update(UserUttered("还在吗", {"intent": {"name": "greet"}}, timestamp=now))
    for t in trackers.values():
        await plain.save(t)

    async def read_back():
        fresh = ts.GreenWhistleTrackerStore(domain=domain, host=url)  # what Rasa reads from the DB
        out = {}
        for k, t in trackers.items():
            tr = await fresh.retrieve(t.sender_id)
            out[k] = None if tr is None else [e.as_dict() for e in tr.events]
        return out

    def rows(sender):
        with plain.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).where(ev.c.sender_id == sender)).scalar()

    before = await read_back()
    counts_before = {k: rows(t.sender_id) for k, t in trackers.items()}

    store = ts.CachedTrackerStore(domain=domain, host=url, retention_days=30)
    for t in trackers.values():
        await store.retrieve(t.sender_id)  # now cached
    cached_before = sorted(store._cache)
    # a turn of another conversation: the save starts the purge (cutoff: 30 days ago)
    await store.save(conversation(p + "other", (now, "你好")))
    started = store._purging is not None
    for _ in range(200):
        if store._purging is None:
            break
        await asyncio.sleep(0.05)
    # due again only after an hour
    await store.save(conversation(p + "other2", (now, "你好")))
    again = store._purging is not None

    after = await read_back()
    out = {
        "started": started,
        "again": again,
        "counts_before": counts_before,
        "counts_after": {k: rows(t.sender_id) for k, t in trackers.items()},
        "same": {k: after[k] == before[k] for k in trackers},
        "after_none": {k: after[k] is None for k in trackers},
        "cached_before": cached_before,
        "cached_after": sorted(store._cache),
        "disabled": ts.CachedTrackerStore(domain=domain, host=url).retention_seconds,
    }
    print(json.dumps(out))


asyncio.run(main())
"""


def _run(url: str, prefix: str) -> dict:
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT, url, prefix],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
        env={**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check(out: dict, p: str) -> None:
    assert out["started"] and not out["again"]  # a save started it; not due again within the hour
    # idle for 40 days: gone, from the database and from the cache
    assert out["counts_after"]["idle"] == 0
    assert out["after_none"]["idle"]
    assert out["cached_before"] == sorted(p + k for k in ("idle", "long", "mixed", "recent"))
    assert p + "idle" not in out["cached_after"]
    assert {p + "recent", p + "mixed", p + "long"} <= set(out["cached_after"])
    # two days old: untouched
    assert out["counts_after"]["recent"] == out["counts_before"]["recent"] == 5
    # the 60-day-old session goes, the current one stays
    assert out["counts_before"]["mixed"] == 10
    assert out["counts_after"]["mixed"] == 5
    # a session that began 45 days ago and is active today: only the row before its start goes
    assert out["counts_before"]["long"] == 6
    assert out["counts_after"]["long"] == 5
    # and every conversation still there reads back exactly as before
    assert out["same"] == {"idle": False, "recent": True, "mixed": True, "long": True}
    assert out["disabled"] is None


@pytest.fixture(params=BACKENDS)
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh tracker database: a SQLite file, or a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    with pg_schema("gw_tracker") as url:
        yield url.replace("+psycopg", "")  # Rasa's environment has psycopg2, not psycopg 3


def test_retention_deletes_old_events_and_keeps_current_sessions(tracker_url: str) -> None:
    _check(_run(tracker_url, "ret-"), "ret-")
