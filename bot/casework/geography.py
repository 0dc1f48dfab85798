"""Where the ledger's issues are, for the console map: counts per district, and pinned points.

The same IssueFilter as the list (and the department scope) applies. Points are the issues with
coordinates (WeChat pins, Open311 positions), hot spots first, the newest next, at most
`max_points` of them: a map with more dots than pixels tells nobody anything more.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from bot.casework.ledger import IssueFilter, Ledger
from bot.casework.models import Issue

logger = logging.getLogger(__name__)

MAX_POINTS = 2000


@dataclass(frozen=True)
class MapPoint:
    """One pinned issue: GCJ-02 coordinates, and whether it is part of a hot spot (重复举报)."""

    latitude: float
    longitude: float
    hotspot: bool


@dataclass
class MapFigures:
    """Issues per district (the ledger's district names; "" for none), hot spots per district,
    and the pinned points."""

    by_district: Counter[str] = field(default_factory=Counter)
    hotspots: Counter[str] = field(default_factory=Counter)
    points: list[MapPoint] = field(default_factory=list)
    #: More issues have coordinates than `points` holds (max_points: hot spots, then the newest).
    more_points: bool = False

    @property
    def total(self) -> int:
        return sum(self.by_district.values())


def map_figures(
    ledger: Ledger,
    f: IssueFilter,
    *,
    now: datetime,
    max_points: int = MAX_POINTS,
    counts: Counter[str] | None = None,
) -> MapFigures:
    """The figures the console map draws, for the issues matching `f`.

    `counts`: the issues per district the page counted already (the monthly figures, where a
    merged duplicate counts once, on its main issue); merged duplicates are then left out of
    the hot spots and points too. Without them the issues matching `f` are counted as the
    list counts them, merged ones included.

    Small queries that an index answers, each: the counts grouped by an expression (so that
    SQLite's planner uses the filter's index, not ix_issues_district_created for the grouping),
    the hot spots through ix_issues_hotspot (INDEXED BY on SQLite; sorted here), the newest pinned issues by id.
    """
    figs = MapFigures()
    district = func.coalesce(Issue.district, "")
    pinned = (Issue.latitude.is_not(None), Issue.longitude.is_not(None))
    scope: tuple[Any, ...] = () if counts is None else (Issue.merged_into_id.is_(None),)

    def filtered(stmt: Any) -> Select[Any]:
        # the list's own filtering (and its full-text index), so the map shows the same issues
        return ledger._filtered(stmt, f, now).where(*scope)

    hot_rows = (
        filtered(select(district, Issue.latitude, Issue.longitude, Issue.created_at, Issue.id))
        .where(Issue.hotspot.is_(True))
        # hot spots are few: SQLite's planner would otherwise walk the filter's index instead
        .with_hint(Issue, "INDEXED BY ix_issues_hotspot", dialect_name="sqlite")
    )
    plain_rows = (
        filtered(select(Issue.latitude, Issue.longitude))
        .where(Issue.hotspot.is_not(True), *pinned)
        .order_by(Issue.id.desc())
    )
    with ledger.store.transaction() as s:
        if counts is None:
            grouped = filtered(select(district, func.count())).group_by(district)
            figs.by_district.update({str(d): int(n) for d, n in s.execute(grouped)})
        else:
            figs.by_district.update(counts)
        hot_pins = []
        for name, lat, lng, created, issue_id in s.execute(hot_rows):
            figs.hotspots[str(name)] += 1
            if lat is not None and lng is not None:
                hot_pins.append((created, issue_id, MapPoint(float(lat), float(lng), True)))
        hot_pins.sort(key=lambda row: (row[0], row[1]), reverse=True)
        room = max_points + 1 - len(hot_pins)
        plain = list(s.execute(plain_rows.limit(room))) if room > 0 else []
    points = [p for *_, p in hot_pins] + [MapPoint(float(a), float(b), False) for a, b in plain]
    figs.more_points = len(points) > max_points
    figs.points = points[:max_points]
    return figs
