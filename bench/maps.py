"""Boundaries and the console map: load times, point-in-polygon, SVG rendering, the map's query.

    python bench/maps.py [--issues 100000] [--points 10000] [--province 四川省 --city 绵阳市]

Each figure is printed with what it was measured on. The loads are timed in this process from
cold (run it as a fresh process): the gazetteer first (the extraction loads it anyway), then the
deployment city's boundary files, then the simplified SVG outlines, then the first look-up of a
point outside the city (which reads the provinces' files). Then warm timings: look-ups of random
pins in and around the city, the SVG for 0 and 2,000 points, and the map's two queries
(counts per district, the pinned points) over `--issues` generated issues in SQLite, a fifth
of them with coordinates (bench/console.py's generator).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def loads(province: str, city: str) -> None:
    from bot.geo import city_areas, locate
    from bot.nlp.extraction.gazetteer import gazetteer
    from bot.web.console import maps

    print("cold loads (this process):")
    print(f"  gazetteer (divisions, towns)            {ms(timed(gazetteer))}")
    print(
        f"  {city} boundaries (city + counties)      {ms(timed(lambda: city_areas(province, city)))}"
    )
    print(
        f"  simplified SVG outlines (cached)        {ms(timed(lambda: maps._base(province, city)))}"
    )
    first_out = timed(lambda: locate(39.91, 116.40, province=province, city=city))
    print(f"  first pin outside the city (provinces)  {ms(first_out)}")


def lookups(province: str, city: str, n: int) -> None:
    from bot.geo import city_areas, locate

    areas = city_areas(province, city)
    west, south, east, north = areas.outline.bounds
    rng = random.Random(3)
    pins = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(n)]
    times = []
    inside = 0
    for lat, lng in pins:
        started = time.perf_counter()
        where = locate(lat, lng, province=province, city=city)
        times.append(time.perf_counter() - started)
        inside += where.in_city
    times.sort()
    print(f"point-in-polygon, {n} random pins in {city}'s bounding box ({inside} inside):")
    print(
        f"  p50 {times[len(times) // 2] * 1e6:8.1f} µs   p95 {times[int(len(times) * 0.95)] * 1e6:8.1f} µs"
        f"   max {times[-1] * 1e3:6.1f} ms"
    )


def renders(province: str, city: str) -> None:
    from collections import Counter

    from bot.casework.geography import MapFigures, MapPoint
    from bot.geo import city_areas
    from bot.web.console.maps import city_map

    areas = city_areas(province, city)
    west, south, east, north = areas.outline.bounds
    rng = random.Random(5)
    counts = Counter({d.name: rng.randint(0, 400) for d in areas.districts})
    for n in (0, 2000):
        points = [
            MapPoint(rng.uniform(south, north), rng.uniform(west, east), i % 40 == 0)
            for i in range(n)
        ]
        figs = MapFigures(by_district=counts, points=points)
        runs = [timed(lambda f=figs: city_map(f, province=province, city=city)) for _ in range(20)]
        size = len(str(city_map(figs, province=province, city=city).svg))
        print(
            f"SVG render, {n:>4} points: median {ms(statistics.median(runs))}"
            f"  ({size / 1024:.0f} KiB of SVG)"
        )


def queries(n: int) -> None:
    from sqlalchemy import create_engine, text

    from bench.console import generate
    from bot.casework.geography import map_figures
    from bot.casework.ledger import IssueFilter, Ledger
    from bot.casework.store import CaseStore
    from bot.ops.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        generate(url, n)
        engine = create_engine(url)
        with engine.begin() as conn:  # a fifth of the issues pinned, around 涪城区/游仙区
            conn.execute(
                text(
                    "UPDATE issues SET latitude = 31.3 + (id % 97) / 160.0,"
                    " longitude = 104.5 + (id % 89) / 120.0 WHERE id % 5 = 0"
                )
            )
        engine.dispose()
        store = CaseStore.from_url(url)
        ledger = Ledger(store)
        now = datetime.now(UTC)
        cases = {
            "all issues": IssueFilter(),
            "status open, category 水": IssueFilter(
                statuses=["received", "accepted", "routed", "in_progress"], category="水"
            ),
            "one department": IssueFilter(scope_department="住建局"),
            "one month": IssueFilter(date_from=now.date().replace(day=1), date_to=now.date()),
            "one district": IssueFilter(district="涪城区"),
            "search 鑫达砖厂": IssueFilter(q="鑫达砖厂"),
            "hot spots": IssueFilter(hotspot=True),
        }
        print(f"map queries (per district, hot spots, up to 2,000 points), SQLite, {n:,} issues:")
        for label, f in cases.items():
            map_figures(ledger, f, now=now)
            runs = [timed(lambda f=f: map_figures(ledger, f, now=now)) for _ in range(5)]
            print(f"  {label:<28} median {ms(statistics.median(runs))}")
        store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--province", default="四川省")
    parser.add_argument("--city", default="绵阳市")
    args = parser.parse_args()
    import shapely

    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()},"
        f" shapely {shapely.__version__} (GEOS {shapely.geos_version_string})"
    )
    loads(args.province, args.city)
    lookups(args.province, args.city, args.points)
    renders(args.province, args.city)
    if args.issues:
        queries(args.issues)


if __name__ == "__main__":
    main()
