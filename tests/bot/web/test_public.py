"""The public results page (曝光台, /public/) under attack: no filter, page number or crafted URL
shows an open issue, a reporter, an openid, a phone, an internal note; hostile input gets a 4xx or
an empty list, never a 500. Only the allow-listed columns are rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from bot.casework.results import Results
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.ops.migrate import upgrade
from bot.web.app import create_app
from tests.conftest import BACKENDS, pg_schema
from tests.console_login import login
from tests.factories import draft, quiet_work

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
#: Personal or internal data put on every issue; none of it may reach a public page.
SECRETS = {
    "reporter_name": "欧阳秘名",
    "reporter_phone": "13900008888",
    "reporter_sender_id": "oWxOpenIdSecret0001",
    "original_text": "原话秘密内容",
    "address": "秘密地址1号",
    "polluter": "被举报对象标记",
    "evidence_text": "证据说明秘密",
}
#: Said to the citizen on 办结: the console's business, not published.
CITIZEN_NOTE = "告知举报人秘密说明"
OPEN_MARKER = "在办问题标记"
ALL_STATUSES = (
    "received",
    "accepted",
    "routed",
    "in_progress",
    "resolved",
    "closed",
    "transferred",
    "merged",
    "reopened",
)


@dataclass
class Ledger:
    tickets: dict[str, str]  # status → ticket

    @property
    def published(self) -> set[str]:
        return {self.tickets["resolved"], self.tickets["closed"]}

    @property
    def hidden(self) -> set[str]:
        return set(self.tickets.values()) - self.published


def build_ledger(store: CaseStore) -> Ledger:
    """One issue in every status, each carrying the secrets; the published ones with results."""
    work = quiet_work(store)
    outcome = Results(
        verification="经现场核查，反映情况属实",
        verdict="属实",
        rectification="已责令停产整改",
        accountability="对企业负责人立案处罚",
    )
    tickets: dict[str, str] = {}
    for status in ALL_STATUSES:
        published = status in ("resolved", "closed")
        phenomenon = (
            f"化工厂偷排，我叫{SECRETS['reporter_name']}，电话{SECRETS['reporter_phone']}"
            if published
            else f"{OPEN_MARKER}{status}"
        )
        fields = {k: v for k, v in SECRETS.items() if k != "reporter_phone"}
        issue, _ = store.file(
            draft(phenomenon=phenomenon, reporter_phone=SECRETS["reporter_phone"], **fields),
            now=AT,
        )
        t = issue.ticket
        tickets[status] = t
        if status == "received":
            continue
        if status == "accepted":
            work.accept(t, actor="t", now=AT)
            continue
        if status == "transferred":
            work.transfer(t, reason=CITIZEN_NOTE, actor="t", now=AT)
            continue
        if status == "merged":
            work.merge(t, tickets["received"], actor="t", now=AT)
            continue
        work.route(t, department="生态环境局", district="涪城区", actor="t", now=AT)
        if status == "routed":
            continue
        work.change_status(t, "in_progress", actor="t", now=AT)
        if status == "in_progress":
            continue
        work.change_status(t, "resolved", note=CITIZEN_NOTE, actor="t", now=AT, outcome=outcome)
        if status == "closed":
            work.feedback(t, satisfied=True, actor="t", now=AT)
        if status == "reopened":
            work.feedback(t, satisfied=False, actor="t", now=AT)
    for status, t in tickets.items():
        assert store.get(t).status == status  # type: ignore[union-attr]
    return Ledger(tickets)


def _client(store: CaseStore) -> TestClient:
    return TestClient(create_app(store=store, settings=Settings(timezone="Asia/Shanghai")))


@pytest.fixture(scope="module", params=BACKENDS)
def shared_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CaseStore]:
    """One ledger for the read-only tests, on each backend (PostgreSQL refuses what SQLite
    takes, such as NUL in a string: a 500 there would be a leak of its own)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('public') / 'ledger.db'}"
        else:
            url = stack.enter_context(pg_schema("gw_public"))
        upgrade(url)
        s = CaseStore.from_url(url)
        yield s
        s.engine.dispose()


@pytest.fixture(scope="module")
def ledger(shared_store: CaseStore) -> Ledger:
    return build_ledger(shared_store)


@pytest.fixture(scope="module")
def client(shared_store: CaseStore, ledger: Ledger) -> Iterator[TestClient]:
    with _client(shared_store) as c:
        yield c


@pytest.fixture
def own(store: CaseStore) -> Iterator[tuple[TestClient, Ledger]]:
    """A ledger and client of the test's own, for tests that add issues or log in."""
    built = build_ledger(store)
    with _client(store) as c:
        yield c, built


def assert_clean(html: str, ledger: Ledger) -> None:
    """Nothing personal, internal or open on a public page."""
    for secret in (*SECRETS.values(), CITIZEN_NOTE, OPEN_MARKER, "8888", "秘名"):
        assert secret not in html, secret
    for ticket in ledger.hidden:
        assert ticket not in html, ticket


def test_the_list_shows_published_results_without_login(client: TestClient, ledger: Ledger) -> None:
    response = client.get("/public/")
    assert response.status_code == 200
    html = response.text
    for ticket in ledger.published:
        assert ticket in html
    assert "已责令停产整改" in html and "对企业负责人立案处罚" in html and "属实" in html
    assert "化工厂偷排，我叫欧***，电话***********" in html  # the complaint, personal data removed
    assert "共 2 件" in html
    assert_clean(html, ledger)
    assert "set-cookie" not in response.headers


def test_only_allow_listed_columns_are_rendered(client: TestClient, ledger: Ledger) -> None:
    html = client.get("/public/").text
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == [
        "序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型",
        "调查核实情况", "是否属实", "处理和整改情况", "责任人被处理情况", "办结日期",
    ]  # fmt: skip
    for hidden in ("生态环境局", "已办结", "已关闭", "满意", "青义镇", "四川省"):
        assert hidden not in html.split("<tbody>")[1], hidden  # department, status, town…


def test_security_headers_and_caching(client: TestClient, ledger: Ledger) -> None:
    response = client.get("/public/")
    h = response.headers
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert "script-src" not in h["Content-Security-Policy"]  # no script at all: default 'none'
    assert h["Cache-Control"] == "public, max-age=300"
    again = client.get("/public/", headers={"If-None-Match": h["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["X-Frame-Options"] == "DENY"
    item = client.get(f"/public/issues/{ledger.tickets['closed']}")
    assert item.status_code == 200 and item.headers["Cache-Control"] == "public, max-age=300"
    missing = client.get("/public/issues/HB-20991231-9999")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    assert missing.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_an_issue_page_exists_only_for_published_issues(
    client: TestClient, ledger: Ledger, status: str
) -> None:
    ticket = ledger.tickets[status]
    response = client.get(f"/public/issues/{ticket}")
    nowhere = client.get("/public/issues/HB-20991231-9999")
    if ticket in ledger.published:
        assert response.status_code == 200
        assert "已责令停产整改" in response.text
        assert_clean(response.text, ledger)
    else:  # an open issue answers exactly like one that does not exist
        assert response.status_code == 404
        assert response.text == nowhere.text
        assert ticket not in response.text and OPEN_MARKER not in response.text


HOSTILE_QUERIES = [
    "page=0",
    "page=-1",
    "page=abc",
    "page=1e3",
    "page=99999999999999999999999",
    "page=10001",
    "page=10000",
    "page=2",
    "month=2026-1",
    "month=2026-13",
    "month=2026-11'%20OR%20'1'='1",
    "month=..%2F..%2Fetc",
    "month=0000-00",
    "month=2026-11",
    "district='%20OR%201=1%20--",
    "district=%E6%B6%AA%E5%9F%8E%E5%8C%BA'%20OR%20'1'='1",
    "district=%00",
    "district=%0d%0aSet-Cookie:%20x=1",
    "district=" + "x" * 5000,
    "district=%25",
    "district=_",
    "type=%E5%A4%A7%E6%B0%94%25'%20OR%20'1",
    "type=%25",
    "type=<script>alert(1)</script>",
    "type=%E5%A4%A7%E6%B0%94&type=%E6%B0%B4",
    "status=received",
    "status=open&include=all&size=100000",
    "ticket=" + "HB-20261120-0001",
    "q=%E5%9C%A8%E5%8A%9E",
    "sort=-created&debug=1",
    "page[]=1",
    "month[]=2026-11",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_a_4xx_or_published_issues_only(
    client: TestClient, ledger: Ledger, query: str
) -> None:
    response = client.get(f"/public/?{query}")
    assert response.status_code in (200, 400), (query, response.status_code)
    assert_clean(response.text, ledger)
    assert "<script>alert" not in response.text
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    if response.status_code == 400:
        assert (
            "查询条件无效" in response.text
            or "月份" in response.text
            or "污染类型" in response.text
        )


HOSTILE_PATHS = [
    "/public/issues/HB-20261120-0001%00",
    "/public/issues/%00",
    "/public/issues/'%20OR%201=1%20--",
    "/public/issues/1",
    "/public/issues/" + "A" * 5000,
    "/public/issues/..%2F..%2Fconsole",
    "/public/issues/",
    "/public/issues",
    "/public/../console",
    "/public/%2e%2e/console/export.xlsx",
    "/public/static/../../bot/config.py",
    "/public/admin",
    "/public/index.php",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_crafted_paths_are_4xx(client: TestClient, ledger: Ledger, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert 300 <= response.status_code < 500, (path, response.status_code)
    assert_clean(response.text, ledger)


def test_ids_of_hidden_issues_in_any_spelling_are_404(client: TestClient, ledger: Ledger) -> None:
    for ticket in ledger.hidden:
        for spelling in (ticket, ticket.lower(), ticket.replace("-", ""), f" {ticket} "):
            response = client.get(f"/public/issues/{spelling}")
            assert response.status_code == 404, spelling
            assert_clean(response.text, ledger)


def test_other_methods_change_nothing(
    client: TestClient, ledger: Ledger, shared_store: CaseStore
) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/public/", data={"status": "closed"})
        assert response.status_code == 405, method
    response = client.post(f"/public/issues/{ledger.tickets['received']}")
    assert response.status_code == 405
    assert shared_store.get(ledger.tickets["received"]).status == "received"  # type: ignore[union-attr]


def test_a_staff_session_does_not_widen_the_public_page(
    own: tuple[TestClient, Ledger], store: CaseStore
) -> None:
    client, ledger = own
    login(client, store, "office")
    html = client.get("/public/").text
    assert_clean(html, ledger)
    assert "退出" not in html  # no staff header, no CSRF token on a public page
    assert "csrf" not in html


def test_every_page_of_the_list_is_clean(own: tuple[TestClient, Ledger], store: CaseStore) -> None:
    client, ledger = own
    for n in range(25):  # more than one page
        published = quiet_work(store)
        issue, _ = store.file(draft(phenomenon=f"第{n}件", reporter_name="欧阳秘名"), now=AT)
        published.route(issue.ticket, department="生态环境局", district=None, actor="t", now=AT)
        published.resolve(issue.ticket, result=CITIZEN_NOTE, actor="t", now=AT)
    first = client.get("/public/")
    assert "共 27 件" in first.text and "第 1 / 2 页" in first.text
    second = client.get("/public/?page=2")
    assert second.status_code == 200 and "第 2 / 2 页" in second.text
    assert_clean(first.text + second.text, ledger)
    beyond = client.get("/public/?page=3")
    assert beyond.status_code == 200 and "这一页没有记录" in beyond.text


def test_filters_narrow_the_list(client: TestClient, ledger: Ledger) -> None:
    assert ledger.tickets["closed"] in client.get("/public/?month=2026-11").text
    assert "没有符合条件" in client.get("/public/?month=2026-10").text
    assert ledger.tickets["closed"] in client.get("/public/?district=涪城区").text
    assert "没有符合条件" in client.get("/public/?district=游仙区").text
    assert ledger.tickets["closed"] in client.get("/public/?type=水").text
    assert "没有符合条件" in client.get("/public/?type=噪声").text
    assert client.get("/public/?type=不存在").status_code == 400


def test_the_public_page_is_printable(client: TestClient, ledger: Ledger) -> None:
    html = client.get("/public/").text
    assert '<link rel="stylesheet" href="/console/static/disclosure.css">' in html
    css = client.get("/console/static/disclosure.css")
    assert css.status_code == 200 and "@media print" in css.text and "@page" in css.text


def test_bare_public_redirects_to_the_list(client: TestClient) -> None:
    response = client.get("/public", follow_redirects=False)
    assert response.status_code == 308 and response.headers["location"] == "/public/"
