"""A turn the tracker store cannot save is never taken for saved (rasa_ext/tracker_store.py).

Runs in .venv-rasa (Rasa 3.6, its SQLAlchemy 1.4) as a subprocess, against a real SQLite tracker
database that is locked by another connection, and then gone. The store is wrapped in Rasa's
FailSafeTrackerStore exactly as Rasa's Agent wraps it: that wrapper used to log the failure, keep
the turn in an in-memory store nobody reads and let the channel answer as if all were well.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV

PHONE = "13812345678"

SCRIPT = r"""
import asyncio, json, logging, shutil, sqlite3, sys
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext import tracker_store as ts

logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
folder, kind = sys.argv[1], sys.argv[2]
path = f"{folder}/tracker.db"
url = f"sqlite:///{path}"
domain = Domain.load("domain.yml")
Store = ts.CachedTrackerStore if kind == "cached" else ts.GreenWhistleTrackerStore


def said(text, t):
    return UserUttered(text, {"intent": {"name": "report_problem", "confidence": 1.0}}, timestamp=t)


def texts(tracker):
    return None if tracker is None else [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def attempt(coro):
    try:
        result = await coro
    except ts.TrackerStoreUnavailable as exc:
        return {"raised": True, "reason": str(exc)}
    except Exception as exc:
        return {"raised": type(exc).__name__}
    return {"raised": False, "result": texts(result) if result is not None else None}


async def main():
    store = Store(domain=domain, host=url)
    rasa = FailSafeTrackerStore(store)  # as rasa.core.agent.Agent wraps every tracker store
    tracker = DialogueStateTracker.from_events(
        "rest:c1",
        [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1),
         ActionExecuted("action_listen", timestamp=1.2), said("河边有人倒垃圾", 2.0)],
        domain.slots,
    )
    await rasa.save(tracker)
    await rasa.retrieve("rest:c1")
    out = {}

    # the database is locked past the busy timeout
    tracker.update(said(f"我的手机号是{sys.argv[3]}", 3.0))
    lock = sqlite3.connect(path, timeout=5, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        out["locked"] = await attempt(rasa.save(tracker))
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    out["cached_after_failure"] = "rest:c1" in getattr(store, "_cache", {})
    out["after_failure"] = texts(await rasa.retrieve("rest:c1"))
    out["from_db_after_failure"] = texts(await Store(domain=domain, host=url).retrieve("rest:c1"))
    out["fallback_holds_turn"] = bool(
        rasa._fallback_tracker_store is not None
        and texts(await rasa._fallback_tracker_store.retrieve("rest:c1"))
    )
    # sent again once the database is free: a new turn on the conversation as saved
    tracker = await rasa.retrieve("rest:c1")
    tracker.update(said(f"我的手机号是{sys.argv[3]}", 3.5))
    out["retry"] = await attempt(rasa.save(tracker))
    out["from_db_after_retry"] = texts(await Store(domain=domain, host=url).retrieve("rest:c1"))

    # the database is gone (its folder moved away)
    store.engine.dispose()
    shutil.move(folder, folder + "-gone")
    tracker.update(said("还有一件事", 4.0))
    out["down_save"] = await attempt(rasa.save(tracker))
    out["down_retrieve_other"] = await attempt(rasa.retrieve("rest:never-seen"))
    print(json.dumps(out, ensure_ascii=False))


asyncio.run(main())
"""


@pytest.fixture(params=["cached", "plain"])
def outcome(request: pytest.FixtureRequest, tmp_path: Path) -> dict:
    folder = tmp_path / "db"
    folder.mkdir()
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT, str(folder), request.param, PHONE],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "GW_SQLITE_BUSY_TIMEOUT_S": "0.2",
        },
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    out["log"] = proc.stderr
    return out


def test_a_save_on_a_locked_database_raises_and_leaves_nothing_half_saved(outcome: dict) -> None:
    assert outcome["locked"]["raised"] is True, outcome["locked"]
    assert "database is locked" in outcome["locked"]["reason"]
    # neither the cache nor Rasa's in-memory fallback keeps the unsaved turn
    assert outcome["cached_after_failure"] is False
    assert outcome["fallback_holds_turn"] is False
    assert outcome["after_failure"] == outcome["from_db_after_failure"] == ["河边有人倒垃圾"]
    # the same turn, sent again once the database is free, is saved whole
    assert outcome["retry"]["raised"] is False
    assert outcome["from_db_after_retry"] == ["河边有人倒垃圾", f"我的手机号是{PHONE}"]


def test_a_database_that_is_gone_raises_on_save_and_on_load(outcome: dict) -> None:
    assert outcome["down_save"]["raised"] is True, outcome["down_save"]
    # Rasa's wrapper answered None: the conversation would have started afresh
    assert outcome["down_retrieve_other"]["raised"] is True, outcome["down_retrieve_other"]


def test_failures_are_logged_without_what_the_citizen_typed(outcome: dict) -> None:
    log = outcome["log"]
    assert "tracker store could not save a conversation" in log
    assert PHONE not in log, log[-3000:]
