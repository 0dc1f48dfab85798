"""The console map's figures: the list's filter, merged duplicates counted once, hot spots first."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import update

from bot.casework.geography import map_figures
from bot.casework.ledger import IssueFilter, Ledger
from bot.casework.models import Issue
from bot.casework.store import CaseStore
from tests.factories import draft

NOW = datetime.now(UTC)


def _file(store: CaseStore, n: int, **fields: object) -> list[str]:
    tickets = []
    for i in range(n):
        issue, _ = store.file(
            draft(polluter=f"第{len(fields)}{i}号厂", address=f"某路{i}号", **fields)
        )
        tickets.append(issue.ticket)
    return tickets


def _set(store: CaseStore, tickets: list[str], **values: object) -> None:
    with store.transaction() as s:
        s.execute(update(Issue).where(Issue.ticket.in_(tickets)).values(**values))


def test_counts_per_district_and_points_hot_spots_first(store: CaseStore) -> None:
    fucheng = _file(store, 3, district="涪城区", latitude=31.51, longitude=104.71)
    youxian = _file(store, 2, district="游仙区", town=None)
    nowhere = _file(store, 1, district=None, town=None)
    _set(store, fucheng + youxian + nowhere, hotspot=False, duplicate_count=0)
    _set(store, fucheng[:1], hotspot=True)
    _set(store, youxian[:1], hotspot=True)

    figs = map_figures(Ledger(store), IssueFilter(), now=NOW)
    assert figs.by_district == {"涪城区": 3, "游仙区": 2, "": 1}
    assert figs.hotspots == {"涪城区": 1, "游仙区": 1}
    assert figs.total == 6
    assert len(figs.points) == 3 and figs.points[0].hotspot
    assert [p.hotspot for p in figs.points] == [True, False, False]
    assert (figs.points[0].latitude, figs.points[0].longitude) == (31.51, 104.71)

    few = map_figures(Ledger(store), IssueFilter(), now=NOW, max_points=1)
    assert len(few.points) == 1 and few.points[0].hotspot and few.more_points
    assert not map_figures(Ledger(store), IssueFilter(), now=NOW, max_points=3).more_points
    newest_two = map_figures(Ledger(store), IssueFilter(hotspot=False), now=NOW, max_points=2)
    assert [p.hotspot for p in newest_two.points] == [True, False]


def test_the_lists_filter_and_scope_apply(store: CaseStore) -> None:
    water = _file(store, 3, categories=["水"], district="涪城区")
    air = _file(store, 2, categories=["大气"], district="江油市", town=None)
    _set(store, water + air, hotspot=False)
    ledger = Ledger(store)
    assert map_figures(ledger, IssueFilter(), now=NOW).by_district == {"涪城区": 3, "江油市": 2}
    only_air = map_figures(ledger, IssueFilter(category="大气"), now=NOW)
    assert only_air.by_district == {"江油市": 2}
    _set(store, air, department="生态环境局")
    _set(store, water, department="水务局")
    scoped = map_figures(ledger, IssueFilter(scope_department="水务局"), now=NOW)
    assert scoped.by_district == {"涪城区": 3}


def test_with_the_pages_own_counts_merged_duplicates_are_left_out(store: CaseStore) -> None:
    """The monthly report counts a merged duplicate once, on its main issue: the map takes
    those counts, and leaves merged duplicates out of its hot spots and points."""
    pins = _file(store, 2, district="涪城区", latitude=31.51, longitude=104.71)
    _set(store, pins, hotspot=True)
    with store.transaction() as s:
        main = s.query(Issue).filter(Issue.ticket == pins[0]).one()
        s.execute(update(Issue).where(Issue.ticket == pins[1]).values(merged_into_id=main.id))
    ledger = Ledger(store)
    as_listed = map_figures(ledger, IssueFilter(), now=NOW)
    assert as_listed.by_district == {"涪城区": 2} and len(as_listed.points) == 2
    monthly = map_figures(ledger, IssueFilter(), now=NOW, counts=Counter({"涪城区": 1}))
    assert monthly.by_district == {"涪城区": 1} and monthly.hotspots == {"涪城区": 1}
    assert len(monthly.points) == 1
