"""Two Rasa servers on one tracker database (rasa_ext.tracker_store.CachedTrackerStore, shared).

Runs in .venv-rasa as a subprocess: two store objects play two servers whose turns of one
conversation alternate. In shared mode each server sees the other's turns; the unshared cache
(one server per database) would serve its own stale copy, which is why the cluster sets `shared`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.ops.stack import PROJECT_ROOT, RASA_VENV

SCRIPT = r"""
import asyncio, json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext import tracker_store as ts

url, shared = f"sqlite:///{sys.argv[1]}/tracker.db", sys.argv[2] == "shared"
domain = Domain.load("domain.yml")


def said(text, t):
    return UserUttered(text, {"intent": {"name": "report_problem", "confidence": 1.0}}, timestamp=t)


def texts(tracker):
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def main():
    one = ts.CachedTrackerStore(domain=domain, host=url, shared=shared)
    two = ts.CachedTrackerStore(domain=domain, host=url, shared=shared)
    tracker = DialogueStateTracker.from_events(
        "rest:c1",
        [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1),
         ActionExecuted("action_listen", timestamp=1.2), said("第一句", 2.0)],
        domain.slots,
    )
    await one.save(tracker)
    out = {"versions": [one.version("rest:c1")]}
    # the turns alternate: each server loads the conversation, adds a turn and saves it
    for i, server in enumerate([two, one, two, one], start=2):
        t = await server.retrieve("rest:c1")
        t.update(said(f"第{i}句", 2.0 + i))
        await server.save(t)
        out["versions"].append(server.version("rest:c1"))
    out["one_sees"] = texts(await one.retrieve("rest:c1"))
    out["two_sees"] = texts(await two.retrieve("rest:c1"))
    out["database"] = texts(await ts.GreenWhistleTrackerStore(domain=domain, host=url).retrieve("rest:c1"))
    print(json.dumps(out, ensure_ascii=False))


asyncio.run(main())
"""


def run(folder: Path, mode: str) -> dict:
    proc = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", SCRIPT, str(folder), mode],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run(tmp_path_factory.mktemp("shared"), "shared")


def test_alternating_servers_each_see_every_turn_in_shared_mode(shared: dict) -> None:
    expected = ["第一句", "第2句", "第3句", "第4句", "第5句"]
    assert shared["database"] == expected
    assert shared["one_sees"] == expected
    assert shared["two_sees"] == expected


def test_every_write_gives_the_conversation_a_new_version(shared: dict) -> None:
    versions = shared["versions"]
    assert all(v is not None for v in versions)
    assert versions == sorted(versions) and len(set(versions)) == len(versions), versions


def test_the_unshared_cache_is_stale_with_two_servers(tmp_path: Path) -> None:
    """Why the cluster needs shared mode: the single-server cache loses the other's turns."""
    out = run(tmp_path, "single")
    assert out["one_sees"] != out["database"] or out["two_sees"] != out["database"], out
