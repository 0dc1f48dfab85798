"""The 公开情况一览表 and the 曝光台's rows: published statuses only, the published columns only,
personal data removed; the Excel file in the published layout."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from bot.casework import origin
from bot.casework.disclosure import COLUMNS, Disclosure, PublicFilter, Selection, export_xlsx
from bot.casework.models import Issue
from bot.casework.results import Results
from bot.casework.store import CaseStore
from bot.exceptions import InvalidReport
from tests.factories import draft, quiet_work

NOV = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
DEC = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def _resolved(
    store: CaseStore, *, at: datetime, outcome: Results | None = None, **fields: object
) -> str:
    issue, _ = store.file(draft(**fields), now=at)
    work = quiet_work(store)
    work.route(issue.ticket, department="生态环境局", district=None, actor="t", now=at)
    work.change_status(
        issue.ticket, "resolved", note="已查处（内部说明）", actor="t", now=at, outcome=outcome
    )
    return issue.ticket


def test_export_has_the_published_layout_and_no_personal_data(store: CaseStore) -> None:
    outcome = Results(
        verification="经核查，张小明反映的排口存在，电话13811112222已回访",
        verdict="属实",
        rectification='=HYPERLINK("http://x") 责令封堵排口',
        accountability="对厂长罚款5万元",
    )
    first = _resolved(
        store,
        at=NOV,
        outcome=outcome,
        reporter_name="张小明",
        phenomenon="我是张小明，身份证510702199001011234，电话一三八一一一一二二二二，化工厂偷排",
        categories=["水", "大气"],
    )
    second = _resolved(store, at=NOV, phenomenon="砖厂冒黑烟", categories=["大气"])
    _resolved(store, at=DEC)  # another month
    store.file(draft(), now=NOV)  # open: never listed

    rows, counts = Disclosure(store).selection(Selection(month=(2026, 11)))
    assert [r.ticket for r in rows] == [first, second]
    assert counts.published == 2
    data = export_xlsx(rows, scope=Selection(month=(2026, 11)).scope())
    ws = load_workbook(BytesIO(data)).active
    assert ws is not None
    assert ws["A1"].value == "群众信访举报转办和边督边改公开情况一览表（2026年11月办结）"
    assert [c.value for c in ws[2]] == list(COLUMNS) == [
        "序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型",
        "调查核实情况", "是否属实", "处理和整改情况", "责任人被处理情况",
    ]  # fmt: skip
    assert [c.value for c in ws[3]] == [
        1,
        first,
        "我是张**，身份证******************，电话***********，化工厂偷排",
        "涪城区",
        "水、大气",
        "经核查，张**反映的排口存在，电话***********已回访",
        "属实",
        '\'=HYPERLINK("http://x") 责令封堵排口',  # a formula stays text
        "对厂长罚款5万元",
    ]
    assert [c.value for c in ws[4]][:2] == [2, second]
    assert ws[4][5].value == "—"  # nothing recorded: a dash, not an empty cell
    assert ws.max_row == 4
    everything = " ".join(str(c.value) for row in ws.iter_rows() for c in row)
    for secret in ("张小明", "13811112222", "199001011234", "内部说明", "13812345678"):
        assert secret not in everything
    assert ws.print_title_rows == "$2:$2" and ws.page_setup.orientation == "landscape"


def test_the_month_is_the_local_month_of_the_resolution(store: CaseStore) -> None:
    late = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 December, 01:00 local
    ticket = _resolved(store, at=late)
    nov, _ = Disclosure(store).selection(Selection(month=(2026, 11)))
    dec, _ = Disclosure(store).selection(Selection(month=(2026, 12)))
    assert ticket not in [r.ticket for r in nov] and ticket in [r.ticket for r in dec]


@pytest.mark.parametrize("month", [(2026, 13), (2026, 0), (1900, 1)])
def test_a_bad_month_is_refused(store: CaseStore, month: tuple[int, int]) -> None:
    with pytest.raises(InvalidReport):
        Disclosure(store).selection(Selection(month=month))
    with pytest.raises(InvalidReport):
        Disclosure(store).public_page(PublicFilter(month=month), page=1, size=20)


def test_only_published_statuses_are_listed(store: CaseStore) -> None:
    work = quiet_work(store)
    resolved = _resolved(store, at=NOV)
    closed = _resolved(store, at=NOV)
    work.change_status(closed, "closed", actor="t")
    reopened = _resolved(store, at=NOV)
    work.feedback(reopened, satisfied=False, actor="t")
    transferred, _ = store.file(draft())
    work.transfer(transferred.ticket, reason="不属于环保", actor="t")
    received, _ = store.file(draft())
    merged, _ = store.file(draft())
    work.merge(merged.ticket, received.ticket, actor="t")
    d = Disclosure(store)
    rows, total = d.public_page(PublicFilter(), page=1, size=50)
    assert {r.ticket for r in rows} == {resolved, closed} and total == 2
    for ticket in (reopened, transferred.ticket, received.ticket, merged.ticket):
        assert d.public_item(ticket) is None
    assert d.public_item(resolved) is not None


def test_public_filters_and_pages(store: CaseStore) -> None:
    a = _resolved(store, at=NOV, categories=["扬尘"], district="游仙区")
    b = _resolved(store, at=DEC, categories=["水"], district="涪城区")
    d = Disclosure(store)

    def tickets(f: PublicFilter) -> list[str]:
        return [r.ticket for r in d.public_page(f, page=1, size=20)[0]]

    assert tickets(PublicFilter()) == [b, a]  # latest 办结 first
    assert tickets(PublicFilter(month=(2026, 11))) == [a]
    assert tickets(PublicFilter(district="游仙区")) == [a]
    assert tickets(PublicFilter(category="大气")) == [a]  # 扬尘 counts as 大气
    assert tickets(PublicFilter(category="扬尘")) == [a]
    assert tickets(PublicFilter(category="不存在")) == []
    assert tickets(PublicFilter(district="' OR 1=1 --")) == []
    page2, total = d.public_page(PublicFilter(), page=2, size=1)
    assert [r.ticket for r in page2] == [a] and page2[0].number == 2 and total == 2
    assert d.public_page(PublicFilter(), page=10**9, size=20) == ([], 2)
    assert d.public_districts() == ["涪城区", "游仙区"]


def test_a_batch_lists_its_finished_issues_by_receipt_number(store: CaseStore) -> None:
    done_b = _resolved(store, at=NOV)
    done_a = _resolved(store, at=NOV)
    still_open, _ = store.file(draft())
    other = _resolved(store, at=NOV)
    receipts = {done_a: "D5100001", done_b: "D5100002", still_open.ticket: "D5100003"}
    with store.transaction() as s:
        for ticket, receipt in receipts.items():
            s.execute(
                update(Issue)
                .where(Issue.ticket == ticket)
                .values(
                    {
                        origin.SOURCE: "督察交办",
                        origin.BATCH_NO: "第1批",
                        origin.RECEIPT_NO: receipt,
                    }
                )
            )
        s.execute(
            update(Issue)
            .where(Issue.ticket == other)
            .values({origin.SOURCE: "督察交办", origin.BATCH_NO: "第2批"})
        )
    d = Disclosure(store)
    assert ("督察交办", "第1批") in d.batches()
    rows, counts = d.selection(Selection(source="督察交办", batch="第1批"))
    assert [(r.receipt_no, r.ticket) for r in rows] == [("D5100001", done_a), ("D5100002", done_b)]
    assert (counts.total, counts.published, counts.unfinished) == (3, 2, 1)
