"""The console map's figures: the list's filter, merged duplicates counted once, hot spots first."""

from __future__ import annotations

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
    assert len(few.points) == 1 and few.points[0].hotspot and few.points_left_out == 2


def test_the_lists_filter_and_scope_apply_and_merged_reports_count_once(store: CaseStore) -> None:
    water = _file(store, 3, categories=["水"], district="涪城区")
    air = _file(store, 2, categories=["大气"], district="江油市", town=None)
    _set(store, water + air, hotspot=False)
    with store.transaction() as s:
        first = s.query(Issue).filter(Issue.ticket == water[0]).one()
        s.execute(update(Issue).where(Issue.ticket == water[1]).values(merged_into_id=first.id))

    ledger = Ledger(store)
    assert map_figures(ledger, IssueFilter(), now=NOW).by_district == {"涪城区": 2, "江油市": 2}
    only_air = map_figures(ledger, IssueFilter(category="大气"), now=NOW)
    assert only_air.by_district == {"江油市": 2}
    _set(store, air, department="生态环境局")
    _set(store, water, department="水务局")
    scoped = map_figures(ledger, IssueFilter(scope_department="水务局"), now=NOW)
    assert scoped.by_district == {"涪城区": 2}
