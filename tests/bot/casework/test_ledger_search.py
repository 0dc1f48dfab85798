"""Console search and counting at scale: the trigram indexes (migration 0005) keep LIKE semantics."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from bot.casework import ledger
from bot.casework.filing import refresh_derived
from bot.casework.ledger import IssueFilter, Ledger
from bot.casework.models import Issue, utcnow
from bot.casework.store import CaseStore
from tests.factories import close, draft, quiet_work


def _search(led: Ledger, q: str) -> set[str]:
    rows, total, more = led.page(IssueFilter(q=q), page=1, size=100, now=utcnow())
    assert total == len(rows) and not more
    return {i.ticket for i in rows}


def test_search_uses_index_and_keeps_substring_semantics(store: CaseStore) -> None:
    a, _ = store.file(draft(polluter="绵阳市鑫达砖厂有限公司", categories=["大气"]))
    b, _ = store.file(draft(polluter="宏发化工厂", categories=["水"], address="青义镇50%路_3号"))
    led = Ledger(store)
    assert led.has_fts() == (store.engine.dialect.name == "sqlite")
    assert _search(led, "鑫达砖厂") == {a.ticket}
    assert _search(led, "砖厂") == {a.ticket}  # 2 characters: below a trigram, LIKE
    assert _search(led, "厂") == {a.ticket, b.ticket}
    assert _search(led, "鑫达 有限公司") == {a.ticket}  # every word must match
    assert _search(led, "鑫达 化工") == set()
    assert _search(led, "50%路_3") == {b.ticket}  # % and _ are literal
    assert _search(led, "5%路") == set()
    assert _search(led, a.ticket.lower()) == {a.ticket}
    assert _search(led, '"鑫达"') == set()  # quotes are text, not FTS syntax

    with store.transaction() as s:  # an edit re-indexes (triggers)
        issue = s.execute(select(Issue).where(Issue.id == a.id)).scalar_one()
        issue.polluter = "永兴养殖场"
        refresh_derived(issue)
        s.commit()
    assert _search(led, "鑫达砖厂") == set()
    assert _search(led, "永兴养殖") == {a.ticket}
    with store.transaction() as s:
        s.execute(delete(Issue).where(Issue.id == a.id))
        s.commit()
    assert _search(led, "永兴养殖") == set()


def test_filtered_total_is_capped(store: CaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(5):
        store.file(draft(categories=["水"]))
    monkeypatch.setattr(ledger, "COUNT_CAP", 3)
    led = Ledger(store)
    now = utcnow()
    rows, total, more = led.page(IssueFilter(category="水"), page=1, size=2, now=now)
    assert (len(rows), total, more) == (2, 3, True)
    rows, total, more = led.page(IssueFilter(category="水"), page=3, size=2, now=now)
    assert (len(rows), total, more) == (1, 5, False)  # counted past the page asked for
    rows, total, more = led.page(IssueFilter(), page=1, size=2, now=now)
    assert (total, more) == (5, False)  # the whole ledger: counted exactly


def test_status_and_category_filters(store: CaseStore) -> None:
    a = store.file(draft(categories=["水"]))[0]
    b = store.file(draft(categories=["噪声", "大气"]))[0]
    close(quiet_work(store), b.ticket)
    led = Ledger(store)
    noise, _, _ = led.page(IssueFilter(category="噪声"), page=1, size=50, now=utcnow())
    assert [i.ticket for i in noise] == [b.ticket]
    received, _, _ = led.page(IssueFilter(statuses=["received"]), page=1, size=50, now=utcnow())
    assert [i.ticket for i in received] == [a.ticket]
