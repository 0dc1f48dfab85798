"""The tracker store with several Rasa servers: the version-checked cache vs no cache at all.

Rasa loads a conversation at the start of every turn and saves it at the end. With several
Rasa servers the cache of rasa_ext.tracker_store.CachedTrackerStore must not serve a turn
another server wrote; two ways to get that (issue 17):

- bypass: no cache (GreenWhistleTrackerStore): every load reads and parses all the events of
  the conversation's session;
- shared: the cache, checked against the conversation's version (its highest event id: one
  indexed query) before each load; a conversation another server wrote is read back whole.

Measured here on PostgreSQL (a database made for the run and dropped afterwards), the store
alone, in one process: N conversations of T turns (each turn: load, add the events of a form
turn, save), in three layouts: one server (every load a cache hit), two servers taking turns
strictly (every load after the first a miss: the worst case of round-robin balancing), and the
single-server cache (`shared` off) for reference, which is wrong with two servers. Prints ms per
turn (mean, p50, p95), CPU per turn and turns/s, the median of interleaved rounds. Runs in
.venv-rasa:

    .venv-rasa/bin/python bench/tracker_cache.py [--conversations 40] [--turns 14] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext.tracker_store import CachedTrackerStore, GreenWhistleTrackerStore

ADMIN_URL = os.environ.get("GW_BENCH_PG_URL", "postgresql://root@127.0.0.1:5432/postgres")


def turn_events(i: int, t: float) -> list[Any]:
    """About what a report-form turn adds: the user's message, the form's actions and slots,
    the bot's question, and the listen."""
    return [
        UserUttered(
            f"第{i}句：涪城区青义镇的工厂每天晚上冒黑烟",
            {"intent": {"name": "inform", "confidence": 0.98}, "entities": []},
            timestamp=t,
        ),
        ActionExecuted("action_extract_report_slots", timestamp=t + 0.01),
        SlotSet("area", "涪城区青义镇", timestamp=t + 0.02),
        ActionExecuted("report_form", timestamp=t + 0.03),
        ActiveLoop("report_form", timestamp=t + 0.04),
        SlotSet("requested_slot", "time_text", timestamp=t + 0.05),
        BotUttered("请问这个问题一般什么时候出现？", {"buttons": None}, timestamp=t + 0.06),
        ActionExecuted("action_listen", timestamp=t + 0.07),
    ]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def run(
    stores: list[Any], domain: Domain, conversations: int, turns: int
) -> dict[str, float]:
    times: list[float] = []
    senders = [f"bench-{uuid.uuid4().hex[:8]}" for _ in range(conversations)]
    for sender in senders:
        start = DialogueStateTracker.from_events(
            sender,
            [
                ActionExecuted("action_session_start", timestamp=1.0),
                SessionStarted(timestamp=1.1),
                ActionExecuted("action_listen", timestamp=1.2),
            ],
            domain.slots,
        )
        await stores[0].save(start)
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for turn in range(turns):
        for n, sender in enumerate(senders):
            store = stores[(turn + n) % len(stores)]  # servers take turns
            began = time.perf_counter()
            tracker = await store.retrieve(sender)
            assert tracker is not None
            for event in turn_events(turn, 10.0 + turn):
                tracker.update(event)
            await store.save(tracker)
            times.append((time.perf_counter() - began) * 1000)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    # every layout must leave the same conversation in the database
    reader = GreenWhistleTrackerStore(
        domain=domain, host=stores[0].engine.url.render_as_string(hide_password=False)
    )
    check = await reader.retrieve(senders[0])
    reader.engine.dispose()
    users = [e for e in check.events if isinstance(e, UserUttered)] if check else []
    return {
        "turns": len(times),
        "mean_ms": round(sum(times) / len(times), 2),
        "p50_ms": round(pct(times, 50), 2),
        "p95_ms": round(pct(times, 95), 2),
        "cpu_ms_per_turn": round(cpu * 1000 / len(times), 2),
        "turns_per_s": round(len(times) / wall, 1),
        "saved_user_turns": len(users),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    name = f"gw_bench_tracker_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    results: dict[str, Any] = {}
    try:
        layouts = {
            "bypass (no cache), 1 or 2 servers": lambda: [
                GreenWhistleTrackerStore(domain=domain, host=url)
            ],
            "shared cache, 1 server (all hits)": lambda: [
                CachedTrackerStore(domain=domain, host=url, shared=True)
            ],
            "shared cache, 2 servers alternating (all misses)": lambda: [
                CachedTrackerStore(domain=domain, host=url, shared=True),
                CachedTrackerStore(domain=domain, host=url, shared=True),
            ],
            "unshared cache, 1 server (reference; wrong with 2)": lambda: [
                CachedTrackerStore(domain=domain, host=url)
            ],
        }
        rounds: dict[str, list[dict[str, float]]] = {label: [] for label in layouts}
        for _ in range(args.rounds):  # interleaved, so outside load falls on every layout
            for label, make in layouts.items():
                stores = make()
                rounds[label].append(await run(stores, domain, args.conversations, args.turns))
                for store in stores:
                    store.engine.dispose()
        for label, runs in rounds.items():
            # the round with the median mean stands for the layout
            runs.sort(key=lambda r: r["mean_ms"])
            results[label] = {
                **runs[len(runs) // 2],
                "round_means_ms": [r["mean_ms"] for r in runs],
            }
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--turns", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is printed")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    print(
        f"tracker store on PostgreSQL, {args.conversations} conversations x {args.turns} turns "
        f"(8 events a turn; conversations end {args.turns * 8 + 3} events long), median of "
        f"{args.rounds} interleaved rounds"
    )
    print(f"{'layout':52} {'mean':>7} {'p50':>7} {'p95':>7} {'cpu/turn':>9} {'turns/s':>8}")
    for label, r in results.items():
        print(
            f"{label:52} {r['mean_ms']:6.2f}ms {r['p50_ms']:6.2f}ms {r['p95_ms']:6.2f}ms "
            f"{r['cpu_ms_per_turn']:7.2f}ms {r['turns_per_s']:8.1f}"
        )
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
