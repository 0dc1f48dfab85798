"""Where the ledger's issues are, for the console map: counts per district, and pinned points.

The same IssueFilter as the list (and the department scope) applies. A merged duplicate is one
problem with its main issue, so it is counted once, there (as in the monthly figures). Points are
the issues with coordinates (WeChat pins, Open311 positions), hot spots first, newest next, at
most `max_points` of them: a map with more dots than pixels tells nobody anything more.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select

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
    #: Issues with coordinates that are not among `points` (over max_points).
    points_left_out: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_district.values())


def map_figures(
    ledger: Ledger, f: IssueFilter, *, now: datetime, max_points: int = MAX_POINTS
) -> MapFigures:
    """The figures the console map draws, for the issues matching `f`."""
    figs = MapFigures()
    pinned = Issue.latitude.is_not(None) & Issue.longitude.is_not(None)

    def filtered(stmt: Any) -> Select[Any]:
        # the list's own filtering (and its full-text index), so the map shows the same issues
        return ledger._filtered(stmt, f, now).where(Issue.merged_into_id.is_(None))

    counts: Select[Any] = filtered(
        select(
            Issue.district,
            func.count(Issue.id),
            func.sum(case((Issue.hotspot.is_(True), 1), else_=0)),
            func.sum(case((pinned, 1), else_=0)),
        )
    ).group_by(Issue.district)
    points = (
        filtered(select(Issue.latitude, Issue.longitude, Issue.hotspot))
        .where(pinned)
        .order_by(Issue.hotspot.desc(), Issue.created_at.desc(), Issue.id.desc())
        .limit(max_points)
    )
    with ledger.store.transaction() as s:
        with_pins = 0
        for district, n, hot, pins in s.execute(counts):
            figs.by_district[district or ""] += int(n)
            if hot:
                figs.hotspots[district or ""] += int(hot)
            with_pins += int(pins or 0)
        for lat, lng, hot in s.execute(points):
            figs.points.append(MapPoint(float(lat), float(lng), bool(hot)))
    figs.points_left_out = max(0, with_pins - len(figs.points))
    return figs
