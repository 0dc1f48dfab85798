"""Console access and actions over HTTP: sessions, CSRF, role scoping, exports, the report."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from bot.casework import notify
from bot.casework.ledger import LEDGER_COLUMNS
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from tests.console_login import csrf_of, login
from tests.factories import draft, quiet_work

PHONE = "13912345678"


@pytest.fixture
def app_client(store: CaseStore) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=Settings(timezone="Asia/Shanghai"))) as c:
        yield c


def test_pages_need_a_session(app_client: TestClient, store: CaseStore) -> None:
    issue, _ = store.file(draft())
    for url in (
        "/console",
        f"/console/issues/{issue.ticket}",
        "/console/export.xlsx",
        "/console/report",
        "/console/callbacks",
    ):
        response = app_client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/console/login?next=%2Fconsole")
    post = app_client.post(f"/console/issues/{issue.ticket}/accept", data={"csrf_token": "x"})
    assert post.status_code == 401
    assert store.get(issue.ticket).status == "received"  # type: ignore[union-attr]


def test_wrong_password_stays_on_login(app_client: TestClient, store: CaseStore) -> None:
    login(app_client, store, "leader")  # creates the table rows; then log out
    page = app_client.get("/console/login")
    response = app_client.post(
        "/console/login",
        data={"username": "nobody", "password": "wrong-password", "csrf_token": csrf_of(page.text)},
    )
    assert "用户名或密码错误" in response.text


def test_login_without_csrf_is_refused(app_client: TestClient, store: CaseStore) -> None:
    response = app_client.post("/console/login", data={"username": "a", "password": "b"})
    assert response.status_code == 403


def test_state_change_needs_csrf(app_client: TestClient, store: CaseStore) -> None:
    issue, _ = store.file(draft())
    csrf = login(app_client, store, "office")
    bad = app_client.post(f"/console/issues/{issue.ticket}/accept", data={"csrf_token": "forged"})
    assert bad.status_code == 403
    assert store.get(issue.ticket).status == "received"  # type: ignore[union-attr]
    ok = app_client.post(f"/console/issues/{issue.ticket}/accept", data={"csrf_token": csrf})
    assert ok.status_code == 200 and "已受理" in ok.text


def test_leader_is_read_only(app_client: TestClient, store: CaseStore) -> None:
    issue, _ = store.file(draft())
    csrf = login(app_client, store, "leader")
    page = app_client.get(f"/console/issues/{issue.ticket}")
    assert 'id="accept"' not in page.text
    response = app_client.post(f"/console/issues/{issue.ticket}/accept", data={"csrf_token": csrf})
    assert response.status_code == 403


def test_office_sees_contact_department_does_not(store: CaseStore) -> None:
    issue, _ = store.file(draft(reporter_phone=PHONE, reporter_name="王小明"))
    with TestClient(create_app(store=store, settings=Settings())) as office:
        login(office, store, "office")
        assert PHONE in office.get(f"/console/issues/{issue.ticket}").text
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        login(dept, store, "department", department="生态环境局")
        html = dept.get(f"/console/issues/{issue.ticket}").text
        assert "139****5678" in html and PHONE not in html and "王小明" not in html


def test_department_sees_only_its_issues(store: CaseStore) -> None:
    water, _ = store.file(draft())  # → 生态环境局
    dust, _ = store.file(draft(categories=["扬尘"], phenomenon="工地扬尘", polluter="某工地"))
    with TestClient(create_app(store=store, settings=Settings())) as c:
        csrf = login(c, store, "department", department="住建局")
        listing = c.get("/console").text
        assert dust.ticket in listing and water.ticket not in listing
        assert c.get(f"/console/issues/{water.ticket}").status_code == 404
        refused = c.post(
            f"/console/issues/{water.ticket}/status",
            data={"csrf_token": csrf, "to_status": "in_progress"},
        )
        assert refused.status_code == 404
        wb = load_workbook(BytesIO(c.get("/console/export.xlsx").content))
        tickets = [r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)]
        assert tickets == [dust.ticket]


def test_filters_and_search(app_client: TestClient, store: CaseStore) -> None:
    a, _ = store.file(draft(polluter="鑫达砖厂", categories=["大气"], district="涪城区"))
    b, _ = store.file(
        draft(polluter="某某化工", categories=["水"], district="游仙区", channel="hotline")
    )
    login(app_client, store, "office")
    cases = {
        "q=鑫达": {a.ticket},
        "category=水": {b.ticket},
        "district=游仙区": {b.ticket},
        "channel=hotline": {b.ticket},
        "department=生态环境局": {a.ticket, b.ticket},
        "status=open": {a.ticket, b.ticket},
        "status=closed": set(),
    }
    for query, expected in cases.items():
        html = app_client.get(f"/console?{query}").text
        shown = {t for t in (a.ticket, b.ticket) if f">{t}</a>" in html}
        assert shown == expected, query
    assert app_client.get("/console?deadline=weird").status_code == 400


def test_status_change_notifies_and_bot_agrees(
    app_client: TestClient, store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(
        notify, "status_changed", lambda i, e: calls.append((i.ticket, e.to_status))
    )
    issue, _ = store.file(draft())
    csrf = login(app_client, store, "office")
    app_client.post(
        f"/console/issues/{issue.ticket}/route",
        data={"csrf_token": csrf, "department": "生态环境局", "district": "涪城区"},
    )
    page = app_client.post(
        f"/console/issues/{issue.ticket}/status",
        data={"csrf_token": csrf, "to_status": "resolved", "note": "已查处，责令停产整改。"},
    )
    assert "已查处，责令停产整改。" in page.text
    assert calls == [(issue.ticket, "routed"), (issue.ticket, "resolved")]
    missing = app_client.post(
        f"/console/issues/{issue.ticket}/status", data={"csrf_token": csrf, "to_status": "closed"}
    )
    assert missing.status_code == 200 and store.get(issue.ticket).status == "closed"  # type: ignore[union-attr]


def test_export_has_the_office_columns(app_client: TestClient, store: CaseStore) -> None:
    store.file(draft(phenomenon='=HYPERLINK("http://x")'))
    login(app_client, store, "office")
    response = app_client.get("/console/export.xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == LEDGER_COLUMNS
    assert rows[1][7].startswith("'=")  # a formula from a citizen stays text
    assert rows[1][8] == "生态环境局" and rows[1][12] == "否"


def test_report_page_draws_svg(app_client: TestClient, store: CaseStore) -> None:
    store.file(draft(polluter="<script>x</script>"))
    login(app_client, store, "leader")
    html = app_client.get("/console/report").text
    assert html.count("<svg") >= 4 and "办理时效" in html and "满意度" in html
    assert "<script>x" not in html


# -- masking by role (issue 14 §4) -----------------------------------------------------------------
def test_edit_history_masks_phones_for_departments(store: CaseStore) -> None:
    """Today: a field edit's old value is shown to departments as it was, phone and all."""
    issue, _ = store.file(draft(phenomenon="化工厂偷排，联系我138 1111 0001", reporter_phone=PHONE))
    quiet_work(store).edit(issue.ticket, {"phenomenon": "化工厂偷排污水"}, actor="staff:li")
    quiet_work(store).edit(issue.ticket, {"reporter_phone": "13900001111"}, actor="staff:li")
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        login(dept, store, "department", department="生态环境局")
        html = dept.get(f"/console/issues/{issue.ticket}").text
    assert "字段修改记录" in html
    assert "138 1111 0001" not in html and "138****0001" in html
    assert "13900001111" not in html and PHONE not in html
    with TestClient(create_app(store=store, settings=Settings())) as office:
        login(office, store, "office")
        html = office.get(f"/console/issues/{issue.ticket}").text
    assert "138 1111 0001" in html and "13900001111" in html


def test_duplicates_of_another_department_show_only_who_handles_them(store: CaseStore) -> None:
    """Today: a department's duplicates panel links another department's issue with its summary."""
    water, _ = store.file(
        draft(categories=["大气"], polluter="鑫达砖厂", phenomenon="砖厂烟囱冒黑烟")
    )
    dust, _ = store.file(
        draft(categories=["大气"], polluter="鑫达砖厂", phenomenon="砖厂旁工地施工扬尘很大")
    )
    assert water.department == "生态环境局" and dust.department == "住建局"
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        login(dept, store, "department", department="住建局")
        html = dept.get(f"/console/issues/{dust.ticket}").text
    assert water.ticket not in html and "冒黑烟" not in html and "被举报对象相同" not in html
    assert "另有相似举报" in html and "生态环境局" in html
    with TestClient(create_app(store=store, settings=Settings())) as office:
        login(office, store, "office")
        html = office.get(f"/console/issues/{dust.ticket}").text
    assert water.ticket in html and "冒黑烟" in html


def test_the_office_reads_security_events(store: CaseStore) -> None:
    from bot.casework.throttle import Throttle

    Throttle(store).audit("lookup_alert", subject="HB-20200101-0001", source=None, alert=True)
    with TestClient(create_app(store=store, settings=Settings())) as office:
        login(office, store, "office")
        html = office.get("/console/security").text
    assert "HB-20200101-0001" in html
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        login(dept, store, "department", department="住建局")
        assert dept.get("/console/security").status_code == 403


def test_every_page_is_chinese_with_landmarks_and_a_skip_link(
    app_client: TestClient, store: CaseStore
) -> None:
    """What screen readers need on each page (the browser tests run axe-core on the rest)."""
    issue, _ = store.file(draft())
    anonymous = app_client.get("/console/login").text
    login(app_client, store, "office")
    pages = [anonymous] + [
        app_client.get(url).text
        for url in (
            "/console",
            f"/console/issues/{issue.ticket}",
            "/console/report",
            "/console/callbacks",
            "/console/hotline",
            "/console/security",
            "/console/issues/HB-19990101-9999",
        )
    ]
    for html in pages:
        assert '<html lang="zh-CN">' in html
        assert html.count("<main ") == 1 and '<main id="main"' in html
        assert html.index('<a class="skip" href="#main">') < html.index("<header")
        assert "<footer>" in html


def test_the_ledger_filter_inputs_are_each_labelled(
    app_client: TestClient, store: CaseStore
) -> None:
    """Two date inputs share the 登记日期 label: each has its own accessible name."""
    login(app_client, store, "office")
    html = app_client.get("/console").text
    assert 'name="from" value="" aria-label="登记日期（起）"' in html
    assert 'name="to" value="" aria-label="登记日期（止）"' in html
