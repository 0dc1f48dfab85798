"""The 办结 form with the results for publication, and the 公开情况一览表 page and Excel file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from bot.casework import origin, results
from bot.casework.disclosure import COLUMNS
from bot.casework.models import Issue
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from tests.console_login import login
from tests.factories import draft, quiet_work

RESULTS = {
    "verification": "经现场核查，该厂夜间偷排属实",
    "verdict": "属实",
    "rectification": "已责令封堵排口，罚款10万元",
    "accountability": "对企业法人约谈",
}


@pytest.fixture
def app_client(store: CaseStore) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=Settings(timezone="Asia/Shanghai"))) as c:
        yield c


@pytest.fixture
def inspection_source(monkeypatch: pytest.MonkeyPatch) -> str:
    """The web-chat issue's fallback source needs results, as 督察交办 does (see test_results)."""
    label = origin.source_of(Issue(channel="rest", ticket="x"))
    monkeypatch.setattr(results, "required_sources", lambda: frozenset({"督察交办", label}))
    return label


def _routed(store: CaseStore, **fields: object) -> str:
    issue, _ = store.file(draft(**fields))
    quiet_work(store).route(issue.ticket, department="生态环境局", district=None, actor="t")
    return issue.ticket


def test_the_form_offers_the_results_with_the_resolved_status(
    app_client: TestClient, store: CaseStore
) -> None:
    ticket = _routed(store)
    login(app_client, store, "office")
    html = app_client.get(f"/console/issues/{ticket}").text
    assert 'id="results"' in html and "选填" in html
    for name in results.FIELDS:
        assert f'name="{name}"' in html
    for verdict in results.verdicts():
        assert f">{verdict}</option>" in html
    received, _ = store.file(draft())
    assert 'id="results"' not in app_client.get(f"/console/issues/{received.ticket}").text


def test_resolving_with_results_records_them(app_client: TestClient, store: CaseStore) -> None:
    ticket = _routed(store)
    csrf = login(app_client, store, "office")
    page = app_client.post(
        f"/console/issues/{ticket}/status",
        data={"csrf_token": csrf, "to_status": "resolved", "note": "已查处", **RESULTS},
    )
    assert page.status_code == 200 and "已办结" in page.text
    assert 'id="published-results"' in page.text and RESULTS["rectification"] in page.text
    assert "是否属实" in page.text  # the audit names the field in Chinese
    issue = store.get(ticket)
    assert issue is not None and issue.verdict == "属实"
    assert issue.accountability == RESULTS["accountability"]


def test_a_missing_required_result_is_refused_in_chinese(
    app_client: TestClient, store: CaseStore, inspection_source: str
) -> None:
    ticket = _routed(store)
    csrf = login(app_client, store, "office")
    assert "必填" in app_client.get(f"/console/issues/{ticket}").text
    partial = {**RESULTS, "accountability": "", "verdict": ""}
    refused = app_client.post(
        f"/console/issues/{ticket}/status",
        data={"csrf_token": csrf, "to_status": "resolved", "note": "已查处", **partial},
    )
    assert refused.status_code == 409
    assert (
        f"{inspection_source}件办结时须填写：是否属实、责任人被处理情况。状态未改变。"
        in refused.text
    )
    issue = store.get(ticket)
    assert issue is not None and issue.status == "routed" and issue.verification is None
    assert len(issue.events) == 2  # filed, routed: nothing more


def test_a_forged_verdict_is_refused(app_client: TestClient, store: CaseStore) -> None:
    ticket = _routed(store)
    csrf = login(app_client, store, "office")
    refused = app_client.post(
        f"/console/issues/{ticket}/status",
        data={"csrf_token": csrf, "to_status": "resolved", "note": "x", "verdict": "<b>假</b>"},
    )
    assert refused.status_code == 409 and "<b>假</b>" not in refused.text
    assert store.get(ticket).status == "routed"  # type: ignore[union-attr]


def test_department_staff_resolve_with_results(store: CaseStore, inspection_source: str) -> None:
    ticket = _routed(store)
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        csrf = login(dept, store, "department", department="生态环境局")
        page = dept.post(
            f"/console/issues/{ticket}/status",
            data={"csrf_token": csrf, "to_status": "resolved", "note": "已查处", **RESULTS},
        )
        assert page.status_code == 200
    assert store.get(ticket).verdict == "属实"  # type: ignore[union-attr]


def test_the_disclosure_page_and_its_excel_file(app_client: TestClient, store: CaseStore) -> None:
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    work = quiet_work(store)
    issue, _ = store.file(
        draft(reporter_name="李秘密", phenomenon="李秘密反映：砖厂冒黑烟，电话13700001111"), now=at
    )
    work.route(issue.ticket, department="生态环境局", district=None, actor="t", now=at)
    work.change_status(
        issue.ticket,
        "resolved",
        note="已查处",
        actor="t",
        now=at,
        outcome=results.Results(**RESULTS),
    )
    open_issue, _ = store.file(draft(phenomenon="尚未办结的举报"), now=at)
    assert (
        app_client.get("/console/disclosure?month=2026-11", follow_redirects=False).status_code
        == 303
    )
    login(app_client, store, "leader")
    page = app_client.get("/console/disclosure?month=2026-11")
    assert page.status_code == 200
    html = page.text
    assert "群众信访举报转办和边督边改公开情况一览表（2026年11月办结）" in html
    assert 'id="disclosure-table"' in html and issue.ticket in html
    assert RESULTS["verification"] in html and "@media print" not in html
    assert "/console/static/disclosure.css" in html and "window.print()" in html
    for secret in ("李秘密", "13700001111", open_issue.ticket, "尚未办结"):
        assert secret not in html, secret
    xlsx = app_client.get("/console/disclosure.xlsx?month=2026-11")
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["content-disposition"]
    ws = load_workbook(BytesIO(xlsx.content)).active
    assert ws is not None
    assert [c.value for c in ws[2]] == list(COLUMNS)
    assert [c.value for c in ws[3]][:2] == [1, issue.ticket]
    assert ws[3][2].value == "李**反映：砖厂冒黑烟，电话***********"
    assert ws.max_row == 3


@pytest.mark.parametrize(
    "query", ["month=2026-13", "month=abcd-ef", "month=" + "9" * 50, "month=2026-11%00"]
)
def test_bad_selections_are_400(app_client: TestClient, store: CaseStore, query: str) -> None:
    login(app_client, store, "office")
    assert app_client.get(f"/console/disclosure?{query}").status_code == 400
    assert app_client.get(f"/console/disclosure.xlsx?{query}").status_code == 400


def test_the_excel_file_needs_a_selection(app_client: TestClient, store: CaseStore) -> None:
    login(app_client, store, "office")
    page = app_client.get("/console/disclosure")
    assert page.status_code == 200 and 'id="disclosure-table"' not in page.text
    refused = app_client.get("/console/disclosure.xlsx")
    assert refused.status_code == 400 and "请选择一个批次" in refused.text
