"""Console latency with 100,000 issues, on PostgreSQL and SQLite.

    python bench/console.py [--issues 100000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Generates issues (bulk insert, with the same routing/deadline/search columns filing computes),
then times the console's list page, filtered pages, full-text search and the ledger export
through the real app (TestClient, logged in as the intake office). PostgreSQL runs in a private
schema that is dropped afterwards; SQLite in a temporary file. Prints p50/p95 per query.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.casework import deadlines, routing
from bot.casework.catalog import categories
from bot.casework.models import Issue, StatusEvent
from bot.casework.store import CaseStore
from bot.ops.migrate import upgrade

DISTRICTS = [
    "涪城区",
    "游仙区",
    "安州区",
    "江油市",
    "三台县",
    "盐亭县",
    "梓潼县",
    "北川县",
    "平武县",
    "高新区",
]
TOWNS = ["青义镇", "石马镇", "城郊街道", "花荄镇", "太平镇", "普明街道", "秀水镇", "富乐街道"]
PHENOMENA = [
    ("大气", "砖厂每天晚上冒黑烟，味道刺鼻"),
    ("扬尘", "工地施工扬尘很大，没有洒水"),
    ("油烟", "楼下饭店油烟直排，熏得不敢开窗"),
    ("水", "化工厂夜里偷排污水，河水发黑"),
    ("噪声", "工地夜间施工打桩，吵得睡不着"),
    ("固废", "有人在河边倾倒建筑垃圾"),
    ("生态", "河道里有人晚上偷偷采砂"),
    ("水", "养猪场粪水直排进沟里，臭得很"),
]
STATUSES = ["received", "accepted", "routed", "in_progress", "resolved", "closed", "transferred"]
CHANNELS = ["wechat", "hotline", "rest", "staff", "open311"]


def progress(done: int, total: int, started: float) -> None:
    width = 40
    filled = int(width * done / total)
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(
        f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:>7}/{total} ({rate:,.0f}/s)"
    )
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def generate(url: str, n: int, seed: int = 7) -> None:
    """Bulk-inserts `n` issues over the last year, with derived columns and one event each."""
    rng = random.Random(seed)
    engine = create_engine(url)
    pol = deadlines.policy()
    now = datetime.now(UTC)
    known = set(categories())
    batch = 5000
    started = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, n, batch):
            issues = []
            for i in range(start, min(n, start + batch)):
                cat, words = rng.choice(PHENOMENA)
                assert cat in known
                district = rng.choice(DISTRICTS)
                town = rng.choice(TOWNS)
                created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
                polluter = f"{rng.choice(['鑫达', '宏发', '永兴', '川北', '富乐'])}{rng.choice(['砖厂', '化工厂', '养殖场', '工地', '饭店'])}{i % 500}"
                phenomenon = f"{town}{words}（{i}）"
                address = f"{town}{rng.randint(1, 30)}组{rng.randint(1, 200)}号"
                ticket = f"HB-{created:%Y%m%d}-{i:06d}"
                proposal = routing.propose(
                    [cat], text=f"{phenomenon} {polluter}", district=district
                )
                status = rng.choices(STATUSES, weights=[5, 5, 10, 15, 10, 50, 5])[0]
                issues.append(
                    {
                        "ticket": ticket,
                        "client_ref": None,
                        "channel": rng.choice(CHANNELS),
                        "reporter_sender_id": f"s{i}",
                        "reporter_name": None,
                        "reporter_phone": f"139{i:08d}",
                        "anonymous": False,
                        "categories": [cat],
                        "phenomenon": phenomenon,
                        "province": "四川省",
                        "city": "绵阳市",
                        "district": district,
                        "town": town,
                        "address": address,
                        "latitude": None,
                        "longitude": None,
                        "time_text": "每天晚上",
                        "polluter": polluter,
                        "has_evidence": False,
                        "evidence_text": None,
                        "original_text": phenomenon,
                        "status": status,
                        "created_at": created,
                        "updated_at": created,
                        "department": proposal.department,
                        "route_rule": proposal.explanation[:200],
                        "category_tags": f"|{cat}|",
                        "search_text": " ".join(
                            (ticket, phenomenon, address, polluter, town)
                        ).lower(),
                        "accept_due": deadlines.accept_due(created, pol),
                        "handle_due": deadlines.handle_due(created, [cat], pol),
                        "accepted_at": created if status != "received" else None,
                        "resolved_at": created + timedelta(days=rng.randint(1, 30))
                        if status in ("resolved", "closed")
                        else None,
                        "closed_at": None,
                        "result_text": "已查处" if status in ("resolved", "closed") else None,
                        "satisfaction": rng.choice(["满意", "满意", "满意", "不满意"])
                        if status == "closed"
                        else None,
                        "merged_into_id": None,
                        "hotspot": rng.random() < 0.02,
                        "duplicate_count": 1 if rng.random() < 0.05 else 0,
                    }
                )
            ids = conn.execute(insert(Issue).returning(Issue.id), issues).scalars().all()
            conn.execute(
                insert(StatusEvent),
                [
                    {
                        "issue_id": iid,
                        "at": row["created_at"],
                        "actor": "system",
                        "from_status": None,
                        "to_status": "received",
                        "note": "bench",
                    }
                    for iid, row in zip(ids, issues, strict=True)
                ],
            )
            progress(min(n, start + batch), n, started)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()


def measure(url: str, label: str, rounds: int) -> None:
    from fastapi.testclient import TestClient

    from bot.casework.accounts import Accounts
    from bot.config import Settings
    from bot.web.app import create_app
    from tests.console_login import PASSWORD, csrf_of

    store = CaseStore.from_url(url)
    Accounts(store).create_user("bench", PASSWORD, role="office")
    queries = {
        "list, page 1": "/console",
        "list, page 500": "/console?page=500",
        "status=open, sorted by due": "/console?status=open&sort=due",
        "category+district": "/console?category=水&district=涪城区",
        "department+channel+dates": "/console?department=住建局&channel=wechat&from=2026-01-01&to=2026-12-31",
        "overdue": "/console?deadline=overdue",
        "duplicates": "/console?duplicates=1",
        "search 鑫达砖厂": "/console?q=鑫达砖厂",
        "search rare word": "/console?q=富乐饭店123",
        "issue page": None,
    }
    with TestClient(create_app(store=store, settings=Settings())) as client:
        page = client.get("/console/login")
        client.post(
            "/console/login",
            data={"username": "bench", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        first = client.get("/console").text
        import re

        ticket = re.search(r"HB-\d{8}-\d{6}", first)
        queries["issue page"] = f"/console/issues/{ticket.group(0)}" if ticket else "/console"
        print(f"\n{label}: {store.count():,} issues, {rounds} rounds per query")
        print(f"  {'query':<30} {'p50 ms':>8} {'p95 ms':>8}")
        for name, url_path in queries.items():
            assert url_path
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                r = client.get(url_path)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (name, r.status_code)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"  {name:<30} {statistics.median(times):>8.1f} {p95:>8.1f}")
        for name, path in (
            ("export, all issues", "/console/export.xlsx"),
            ("export, 水 only", "/console/export.xlsx?category=水"),
            ("overdue list export", "/console/overdue.xlsx"),
        ):
            t0 = time.perf_counter()
            r = client.get(path)
            took = time.perf_counter() - t0
            assert r.status_code == 200
            print(f"  {name:<30} {took:>8.1f} s  ({len(r.content) / 1e6:.1f} MB)")
    store.engine.dispose()


def main() -> int:
    import logging

    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    if not args.skip_pg:
        schema = f"gw_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
        try:
            upgrade(url)
            print(
                f"PostgreSQL: generating {args.issues:,} issues in schema {schema}", file=sys.stderr
            )
            generate(url, args.issues)
            measure(url, "PostgreSQL", args.rounds)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            print(f"SQLite: generating {args.issues:,} issues", file=sys.stderr)
            generate(url, args.issues)
            measure(url, "SQLite", args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
