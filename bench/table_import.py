"""Hand-over table import speed: reading, checking (dry run) and filing N invented rows.

    python bench/table_import.py [--rows 1000] [--pg postgresql+psycopg://root@127.0.0.1:5432/gw_x]

Builds an .xlsx of invented complaints (place, polluter and phenomenon drawn from small lists,
never real texts), then times read_table, plan_rows (the dry run: extraction, scope, the
(source, 受理编号) look-up) and import_rows (filing with routing, deadlines and duplicate
detection) on a fresh SQLite file, or in a private PostgreSQL schema dropped afterwards. A second
import of the same table is timed too (it adds nothing). Prints rows per second for each step.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.casework.store import CaseStore
from bot.intake.context import Context
from bot.intake.handover import import_rows, plan_rows, read_table
from bot.ops.migrate import upgrade

PLACES = [
    "涪城区青义镇",
    "游仙区石马镇",
    "江油市太白镇",
    "三台县芦溪镇",
    "安州区花荄镇",
    "梓潼县文昌镇",
]
POLLUTERS = ["某某砖厂", "某养殖场", "某化工有限公司", "某建筑工地", "某餐馆", "某石料厂"]
PROBLEMS = [
    ("烟囱冒黑烟，周边有刺鼻气味", "大气"),
    ("污水直排小河，河水发黑发臭", "水"),
    ("夜间施工噪声扰民", "噪声"),
    ("渣土随意倾倒堆放", "固废"),
    ("油烟直排，熏得住户不敢开窗", "油烟"),
    ("非法采砂，河道被挖乱", "生态"),
]


def table(rows: int, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型", "交办时间"])
    for n in range(1, rows + 1):
        place, polluter = rnd.choice(PLACES), rnd.choice(POLLUTERS)
        problem, kind = rnd.choice(PROBLEMS)
        district = place[:3]  # 涪城区, 江油市 …
        ws.append(
            [
                n,
                f"BENCH{n:06d}",
                f"{place}{polluter}{problem}。",
                district,
                kind,
                datetime(2026, 11, 20),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(label: str, rows: int, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    print(f"  {label:<28} {took:8.2f} s   {rows / took:8.1f} rows/s")
    return result


def run(url: str, rows: int, data: bytes) -> None:
    upgrade(url)
    store = CaseStore.from_url(url)
    ctx = Context()
    try:
        t = timed("read_table (xlsx)", rows, lambda: read_table("bench.xlsx", data))
        plans = timed(
            "plan_rows (dry run)",
            rows,
            lambda: plan_rows(t, source="督察交办", store=store, ctx=ctx),
        )
        timed(
            "import_rows (file)",
            rows,
            lambda: import_rows(t, plans, source="督察交办", store=store, ctx=ctx, actor="bench"),
        )
        again = timed(
            "plan_rows (second import)",
            rows,
            lambda: plan_rows(t, source="督察交办", store=store, ctx=ctx),
        )
        assert all(p.outcome == "existing" for p in again)
        print(f"  issues in the ledger: {store.count()}")
    finally:
        store.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a private schema is used)")
    args = parser.parse_args()
    data = table(args.rows)
    print(f"{args.rows} invented rows, {len(data) / 1024:.0f} KB xlsx")
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite:")
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.rows, data)
    if args.pg:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            print("PostgreSQL:")
            sep = "&" if "?" in args.pg else "?"
            run(f"{args.pg}{sep}options=-csearch_path%3D{schema}", args.rows, data)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
