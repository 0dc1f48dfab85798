"""The web app: Open311 GeoReport v2, the first console pages, error handling and health."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

import bot.web.deps
from bot.casework import queries
from bot.casework.catalog import categories, statuses
from bot.casework.datums import distance_m, wgs84_to_gcj02
from bot.casework.models import utcnow
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from bot.web.console.listing import PAGE_SIZE
from bot.web.open311 import repair_raw_utf8
from tests.console_login import csrf_of, login
from tests.factories import draft, quiet_work

API_KEY = "test-open311-key-3f9a"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13912345678"
SENDER = "wx-openid-o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
NAME = "王小明"


@pytest.fixture
def settings() -> Settings:
    return Settings(open311_api_key=SecretStr(API_KEY), timezone="Asia/Shanghai", log_level="INFO")


@pytest.fixture
def client(store: CaseStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def file(store: CaseStore, *, ago: timedelta = timedelta(0), **fields: Any) -> IssueView:
    issue, new = store.file(draft(**fields), now=utcnow() - ago)
    assert new
    return issue


def tickets(body: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in body]


def assert_open311_error(response: Any, code: int) -> str:
    assert response.status_code == code
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == code
    assert body[0]["description"]
    return str(body[0]["description"])


# -- health ------------------------------------------------------------------------------------
def test_healthz_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True}


def test_store_is_built_lazily_on_first_use(
    store: CaseStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def fake_open_store() -> CaseStore:
        calls.append(1)
        return store

    monkeypatch.setattr(bot.web.deps, "open_store", fake_open_store)
    app = create_app(settings=settings)
    assert calls == []
    with TestClient(app) as c:
        assert c.get("/healthz").json()["database"] is True
        assert c.get("/open311/v2/requests.json").status_code == 200
    assert calls == [1]


# -- services ----------------------------------------------------------------------------------
def test_services_one_per_category(client: TestClient) -> None:
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.json()
    assert [s["service_code"] for s in services] == [c.service_code for c in categories().values()]
    for service in services:
        category = next(
            c for c in categories().values() if c.service_code == service["service_code"]
        )
        assert service["service_name"] == category.name
        assert service["description"] == category.description
        assert service["metadata"] is False
        assert service["type"] == "realtime"
        assert service["group"] == "生态环境"
        assert category.name in service["keywords"].split(",")


def test_service_keywords_split_the_description(client: TestClient) -> None:
    water = next(
        s for s in client.get("/open311/v2/services.json").json() if s["service_code"] == "water"
    )
    assert {"偷排", "黑臭水体", "死鱼"} <= set(water["keywords"].split(","))


# -- reading requests --------------------------------------------------------------------------
def test_requests_newest_first(client: TestClient, store: CaseStore) -> None:
    old = file(store, ago=timedelta(hours=5))
    mid = file(store, ago=timedelta(hours=2))
    new = file(store)
    body = client.get("/open311/v2/requests.json").json()
    assert tickets(body) == [new.ticket, mid.ticket, old.ticket]


def test_requests_default_window_is_90_days(client: TestClient, store: CaseStore) -> None:
    recent = file(store, ago=timedelta(days=10))
    ancient = file(store, ago=timedelta(days=200))
    assert tickets(client.get("/open311/v2/requests.json").json()) == [recent.ticket]
    start = (utcnow() - timedelta(days=365)).isoformat()
    body = client.get("/open311/v2/requests.json", params={"start_date": start}).json()
    assert tickets(body) == [recent.ticket, ancient.ticket]


def test_request_shape(client: TestClient, store: CaseStore) -> None:
    created = datetime(2026, 1, 1, 16, 30, 5, tzinfo=UTC)
    issue, _ = store.file(
        draft(categories=["噪声", "大气"], latitude=31.46, longitude=104.68), now=created
    )
    response = client.get(f"/open311/v2/requests/{issue.ticket}.json")
    assert response.status_code == 200
    [req] = response.json()
    assert req["service_request_id"] == issue.ticket
    assert req["status"] == "open"
    assert req["status_notes"] == statuses()["received"].citizen
    assert (req["service_name"], req["service_code"]) == ("噪声", "noise")
    assert req["description"] == issue.phenomenon
    # Routing at filing names the department (分办) and the deadline (办理时限).
    assert issue.department and issue.handle_due
    assert req["agency_responsible"] == issue.department
    assert req["expected_datetime"] == issue.handle_due.astimezone(SHANGHAI).isoformat()
    assert "extended_attributes" not in req
    assert req["media_url"] is None
    assert req["requested_datetime"] == "2026-01-02T00:30:05+08:00"
    assert req["updated_datetime"] == "2026-01-02T00:30:05+08:00"
    assert req["address"] == "四川省绵阳市涪城区青义镇商家村三组河边"
    # A web-chat pin is GCJ-02 (datums.yml); Open311 answers in WGS-84, ~500 m away here.
    assert wgs84_to_gcj02(req["lat"], req["long"]) == pytest.approx((31.46, 104.68), abs=1e-6)
    assert 300 < distance_m((req["lat"], req["long"]), (31.46, 104.68)) < 700


def test_closed_status_and_staff_note(client: TestClient, store: CaseStore) -> None:
    issue = file(store)
    work = quiet_work(store)
    work.route(issue.ticket, department="生态环境局", district="涪城区", actor="staff:li")
    work.resolve(issue.ticket, result="已查处", actor="staff:li")
    work.change_status(
        issue.ticket, "closed", actor="staff:li", note="企业已停产整改，请联系13800001111"
    )
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert req["status"] == "closed"
    assert req["status_notes"] == "企业已停产整改，请联系138****1111"


def test_status_notes_fall_back_to_citizen_text(client: TestClient, store: CaseStore) -> None:
    issue = file(store)
    quiet_work(store).accept(issue.ticket, actor="staff:li")
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert req["status_notes"] == statuses()["accepted"].citizen


def test_unknown_request_is_open311_404(client: TestClient) -> None:
    response = client.get("/open311/v2/requests/HB-20200101-9999.json")
    description = assert_open311_error(response, 404)
    assert "HB-20200101-9999" in description


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_code": "water"}, ["water_old", "water_new"]),
        ({"service_code": "noise"}, ["noise"]),
        ({"service_code": "noise,water"}, ["noise", "water_old", "water_new"]),
        ({"status": "open"}, ["noise", "water_new"]),
        ({"status": "closed"}, ["water_old"]),
        ({"status": "open,closed"}, ["noise", "water_old", "water_new"]),
        ({"start_date": "-1d"}, ["noise", "water_new"]),
        ({"end_date": "-1d"}, ["water_old"]),
        ({"service_code": "water", "status": "open"}, ["water_new"]),
    ],
)
def test_request_filters(
    client: TestClient, store: CaseStore, params: dict[str, str], expected: list[str]
) -> None:
    issues = {
        "noise": file(store, categories=["噪声"], ago=timedelta(hours=1)),
        "water_old": file(store, categories=["水"], ago=timedelta(days=3)),
        "water_new": file(store, categories=["水", "大气"], ago=timedelta(hours=2)),
    }
    quiet_work(store).transfer(issues["water_old"].ticket, reason="转交水务局", actor="staff:li")
    for key in ("start_date", "end_date"):
        if params.get(key) == "-1d":
            params[key] = (utcnow() - timedelta(days=1)).isoformat()
    body = client.get("/open311/v2/requests.json", params=params).json()
    want = sorted((issues[k] for k in expected), key=lambda i: i.created_at, reverse=True)
    assert tickets(body) == [i.ticket for i in want]


def test_naive_and_date_only_dates_are_local_days(client: TestClient, store: CaseStore) -> None:
    # 2026-03-01 23:30 in Shanghai is still 2026-03-01 15:30 UTC.
    issue, _ = store.file(draft(), now=datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    same_day = {"start_date": "2026-03-01", "end_date": "2026-03-01"}
    assert tickets(client.get("/open311/v2/requests.json", params=same_day).json()) == [
        issue.ticket
    ]
    next_day = {"start_date": "2026-03-02T00:00:00"}
    assert client.get("/open311/v2/requests.json", params=next_day).json() == []


def test_unencoded_plus_in_offset_is_understood(client: TestClient, store: CaseStore) -> None:
    issue, _ = store.file(draft(), now=datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    # A client that forgets to encode '+' sends a space; 23:00+08:00 is 15:00 UTC.
    url = "/open311/v2/requests.json?start_date=2026-03-01T23:00:00+08:00&end_date=2026-03-02"
    assert tickets(client.get(url).json()) == [issue.ticket]


def test_service_request_id_list_overrides_other_filters(
    client: TestClient, store: CaseStore
) -> None:
    a = file(store, categories=["水"])
    b = file(store, categories=["噪声"], ago=timedelta(days=400))
    file(store)
    ids = f"{b.ticket},HB-20200101-0001,{a.ticket}"
    body = client.get(
        "/open311/v2/requests.json", params={"service_request_id": ids, "service_code": "air"}
    ).json()
    assert tickets(body) == [a.ticket, b.ticket]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"status": "pending"}, "status"),
        ({"service_code": "nope"}, "nope"),
        ({"start_date": "yesterday"}, "yesterday"),
        ({"end_date": "2026-13-45"}, "2026-13-45"),
    ],
)
def test_bad_filters_are_open311_400(
    client: TestClient, params: dict[str, str], fragment: str
) -> None:
    description = assert_open311_error(client.get("/open311/v2/requests.json", params=params), 400)
    assert fragment in description


def test_no_personal_data_in_open311_output(client: TestClient, store: CaseStore) -> None:
    issue = file(
        store,
        reporter_sender_id=SENDER,
        reporter_name=NAME,
        reporter_phone=PHONE,
        phenomenon=f"化工厂偷排污水，我的电话{PHONE}",
        original_text=f"我是{NAME}，电话{PHONE}，化工厂偷排",
    )
    quiet_work(store).accept(issue.ticket, actor="staff:li", note=f"已电话联系{PHONE}")
    for url in (
        "/open311/v2/requests.json",
        f"/open311/v2/requests/{issue.ticket}.json",
        f"/open311/v2/requests.json?service_request_id={issue.ticket}",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert issue.ticket in response.text
        for secret in (PHONE, SENDER, NAME):
            assert secret not in response.text, (url, secret)
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert req["description"] == "化工厂偷排污水，我的电话139****5678"


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("13811110000", "138****0000"),
        ("138 1111 0001", "138****0001"),
        ("+8613811110003", "138****0003"),
        ("１３８１１１１０００６", "138****0006"),
        ("(0816)2345678", "*********78"),
    ],
)
def test_phones_in_the_address_are_masked(
    client: TestClient, store: CaseStore, written: str, masked: str
) -> None:
    """Today: Open311 masks phones in `description` but shows the address as it was given."""
    issue = file(store, address=f"临园路东段12号，有事打{written}找我")
    [req] = client.get(f"/open311/v2/requests/{issue.ticket}.json").json()
    assert written not in req["address"]
    assert req["address"].endswith(f"临园路东段12号，有事打{masked}找我")
    assert written not in client.get("/open311/v2/requests.json").text


# -- filing requests ---------------------------------------------------------------------------
def good_form(**overrides: str) -> dict[str, str]:
    form = {
        "api_key": API_KEY,
        "service_code": "air-fumes",
        "lat": "31.4679",
        "long": "104.6796",
        "address_string": "涪城区临园路东段12号",
        "description": "楼下烧烤店油烟直排，晚上呛得开不了窗",
        "first_name": "小明",
        "last_name": "王",
        "phone": PHONE,
        "email": "wang@example.com",
        "device_id": "device-1",
        "account_id": "acct-1",
    }
    form.update(overrides)
    return form


def test_post_files_an_issue(client: TestClient, store: CaseStore) -> None:
    response = client.post("/open311/v2/requests.json", data=good_form())
    assert response.status_code == 200
    [answer] = response.json()
    ticket = answer["service_request_id"]
    assert ticket.startswith("HB-")
    assert ticket in answer["service_notice"]
    assert "已登记" in answer["service_notice"]
    assert answer["account_id"] is None

    issue = store.get(ticket)
    assert issue is not None
    assert issue.channel == "open311"
    assert issue.categories == ["油烟"]
    assert issue.reporter_phone == PHONE
    assert issue.reporter_name == NAME
    assert issue.anonymous is False
    assert issue.reporter_sender_id is None
    assert issue.address == "涪城区临园路东段12号"
    assert (issue.latitude, issue.longitude) == (31.4679, 104.6796)
    assert issue.status == "received"

    [req] = client.get(f"/open311/v2/requests/{ticket}.json").json()
    assert req["service_code"] == "air-fumes"
    assert PHONE not in str(req) and NAME not in str(req)


def test_post_without_contact_is_anonymous(client: TestClient, store: CaseStore) -> None:
    form = good_form(first_name="", last_name="", phone="", lat="", long="")
    response = client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 200
    issue = store.get(response.json()[0]["service_request_id"])
    assert issue is not None
    assert issue.anonymous is True
    assert (issue.reporter_name, issue.reporter_phone, issue.latitude) == (None, None, None)


def test_post_with_raw_utf8_body(client: TestClient, store: CaseStore) -> None:
    """`curl -d description=夜间施工` sends UTF-8 without %-encoding; it must not turn to mojibake."""
    body = (
        f"api_key={API_KEY}&service_code=noise&address_string=涪城区长虹大道&description=夜间施工"
    )
    response = client.post(
        "/open311/v2/requests.json",
        content=body.encode("utf-8"),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    issue = store.get(response.json()[0]["service_request_id"])
    assert issue is not None
    assert (issue.phenomenon, issue.address) == ("夜间施工", "涪城区长虹大道")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("café", "café"), ("plain", "plain"), ("夜间", "夜间"), (None, None)],
)
def test_repair_raw_utf8_leaves_proper_text_alone(value: str | None, expected: str | None) -> None:
    assert repair_raw_utf8(value) == expected


@pytest.mark.parametrize(
    ("form", "configured"),
    [
        (good_form(api_key="wrong-key-7c1d"), True),
        ({k: v for k, v in good_form().items() if k != "api_key"}, True),
        (good_form(api_key=""), True),
        (good_form(), False),
    ],
    ids=["wrong", "missing", "empty", "unset-on-server"],
)
def test_post_refused_without_the_right_key(
    store: CaseStore, form: dict[str, str], configured: bool, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(open311_api_key=SecretStr(API_KEY) if configured else None)
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(store=store, settings=settings)) as c:
        response = c.post("/open311/v2/requests.json", data=form)
    assert_open311_error(response, 403)
    assert store.count() == 0
    assert API_KEY not in caplog.text
    assert "wrong-key-7c1d" not in caplog.text
    assert API_KEY not in response.text


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"service_code": "fumes"}, "fumes"),
        ({"service_code": ""}, "service_code"),
        ({"lat": "", "long": "", "address_string": ""}, "location"),
        ({"lat": "31.4", "long": ""}, "long"),
        ({"lat": "north", "address_string": ""}, "lat"),
        ({"lat": "95", "long": "104"}, "lat"),
        ({"description": "  "}, "description"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_post_rejects_bad_reports(
    client: TestClient, store: CaseStore, overrides: dict[str, str], fragment: str
) -> None:
    response = client.post("/open311/v2/requests.json", data=good_form(**overrides))
    description = assert_open311_error(response, 400)
    assert fragment in description
    assert PHONE not in description
    assert store.count() == 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_post_body_has_a_total_limit(client: TestClient, store: CaseStore, chunked: bool) -> None:
    """Today: any size is parsed (and a huge description stored)."""
    body = urlencode(good_form(description="偷排" * 200_000)).encode()
    content: Any = (
        iter([body[i : i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    )
    response = client.post(
        "/open311/v2/requests.json",
        content=content,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    description = assert_open311_error(response, 413)
    assert "KB" in description
    assert store.count() == 0


async def test_post_body_limit_is_checked_before_reading(
    store: CaseStore, settings: Settings
) -> None:
    """A declared length over the limit is refused without reading (or parsing) a byte of it."""
    app = create_app(store=store, settings=settings)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/open311/v2/requests.json",
        "raw_path": b"/open311/v2/requests.json",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(50 * 1024 * 1024).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413


def test_repeated_post_returns_the_first_request(client: TestClient, store: CaseStore) -> None:
    """Today: a client that retries (or double-clicks) files the same report twice."""
    first = client.post("/open311/v2/requests.json", data=good_form()).json()[0]
    again = client.post("/open311/v2/requests.json", data=good_form()).json()[0]
    assert again["service_request_id"] == first["service_request_id"]
    assert store.count() == 1
    other = client.post(
        "/open311/v2/requests.json", data=good_form(description="另一件事：河里有死鱼")
    ).json()[0]
    moved = client.post("/open311/v2/requests.json", data=good_form(lat="31.5")).json()[0]
    assert (
        len({first["service_request_id"], other["service_request_id"], moved["service_request_id"]})
        == 3
    )
    assert store.count() == 3


# -- errors ------------------------------------------------------------------------------------
def _unreachable_sqlite(tmp_path: Path) -> str:
    blocker = tmp_path / "ledger.db"
    blocker.mkdir()  # a directory where the database file should be: sqlite cannot open it
    return f"sqlite:///{blocker}"


def _unmigrated_sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'empty.db'}"


def _closed_postgres_port(tmp_path: Path) -> str:
    pytest.importorskip("psycopg")
    return "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


@pytest.fixture(params=[_unreachable_sqlite, _unmigrated_sqlite, _closed_postgres_port])
def down_client(
    request: pytest.FixtureRequest, tmp_path: Path, settings: Settings
) -> Iterator[TestClient]:
    dead = CaseStore.from_url(request.param(tmp_path))
    with TestClient(create_app(store=dead, settings=settings)) as c:
        yield c
    dead.engine.dispose()


def _assert_no_internals(text: str) -> None:
    for leak in ("Traceback", "sqlite3", "psycopg", "OperationalError", "no such table", 'File "'):
        assert leak not in text


def test_store_outage_is_503_with_a_reason(down_client: TestClient) -> None:
    for response in (
        down_client.get("/open311/v2/requests.json"),
        down_client.get("/open311/v2/requests/HB-20260101-0001.json"),
        down_client.post("/open311/v2/requests.json", data=good_form()),
    ):
        description = assert_open311_error(response, 503)
        assert "暂时无法访问" in description
        assert "temporarily unavailable" in description
        _assert_no_internals(response.text)

    login_page = down_client.get("/console")  # no session: the login page, no database needed
    assert login_page.status_code == 200 and "登录工作台" in login_page.text
    page = down_client.post(
        "/console/login",
        data={"username": "u", "password": "p", "csrf_token": csrf_of(login_page.text)},
    )
    assert page.status_code == 503
    assert "暂时无法访问" in page.text
    _assert_no_internals(page.text)

    health = down_client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "degraded", "database": False}


def test_unexpected_error_is_500_without_details(
    store: CaseStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> list[IssueView]:
        raise RuntimeError("secret internals at /srv/greenwhistle")

    monkeypatch.setattr(queries, "service_requests", broken)
    with TestClient(create_app(store=store, settings=settings), raise_server_exceptions=False) as c:
        response = c.get("/open311/v2/requests.json")
    assert_open311_error(response, 500)
    assert "secret internals" not in response.text


# -- console (contacts masked: logged in as the read-only leader) -----------------------------
@pytest.fixture
def viewer(store: CaseStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=settings)) as c:
        login(c, store, "leader")
        yield c


def test_console_list(viewer: TestClient, store: CaseStore) -> None:
    named, _ = store.file(
        draft(reporter_name=NAME, reporter_phone=PHONE, reporter_sender_id=SENDER),
        now=datetime(2026, 1, 1, 16, 30, tzinfo=UTC),
    )
    anonymous = file(store, anonymous=True, reporter_phone=None, categories=["噪声", "大气"])
    response = viewer.get("/console")
    assert response.status_code == 200
    html = response.text
    assert "领导（只读）" in html  # who is logged in
    for issue in (named, anonymous):
        assert f'href="/console/issues/{issue.ticket}"' in html
    assert html.index(anonymous.ticket) < html.index(named.ticket)  # newest first
    assert "2026-01-02 00:30" in html  # Asia/Shanghai local time
    assert "139****5678" in html and PHONE not in html
    assert "王**" in html and NAME not in html
    assert SENDER not in html
    assert "匿名" in html
    assert "噪声、大气" in html
    assert "涪城区青义镇" in html
    assert "绵阳市某某化工有限公司" in html
    assert statuses()["received"].label in html
    assert "网页对话" in html


def test_console_paging(viewer: TestClient, store: CaseStore) -> None:
    filed = [file(store, ago=timedelta(minutes=n)) for n in range(PAGE_SIZE + 1)]
    first = viewer.get("/console").text
    second = viewer.get("/console", params={"page": 2}).text
    assert first.count('href="/console/issues/') == PAGE_SIZE
    assert second.count('href="/console/issues/') == 1
    assert filed[0].ticket in first and filed[-1].ticket not in first
    assert filed[-1].ticket in second
    assert "第 2 / 2 页" in second
    assert 'href="/console?page=1"' in second


def test_console_bad_page_is_400(viewer: TestClient) -> None:
    response = viewer.get("/console", params={"page": "zero"})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]


def test_console_detail(viewer: TestClient, store: CaseStore) -> None:
    issue = file(
        store,
        reporter_name=NAME,
        reporter_phone=PHONE,
        reporter_sender_id=SENDER,
        original_text=f"化工厂偷排，电话{PHONE}",
        latitude=31.46,
        longitude=104.68,
    )
    quiet_work(store).accept(issue.ticket, actor="staff:li", note="已受理，转涪城区核查")
    response = viewer.get(f"/console/issues/{issue.ticket}")
    assert response.status_code == 200
    html = response.text
    for shown in (
        issue.ticket,
        "已受理",
        "网页对话",
        "水",
        issue.phenomenon,
        "四川省",
        "绵阳市",
        "涪城区",
        "青义镇",
        "商家村三组河边",
        "31.460000, 104.680000",
        "每天晚上",
        "绵阳市某某化工有限公司",
        "拍了照片",
        "化工厂偷排，电话139****5678",
        "王**",
        "139****5678",
        "staff:li",
        "已登记 → 已受理",
        "已受理，转涪城区核查",
        "通过rest渠道登记",
    ):
        assert shown in html, shown
    assert PHONE not in html
    assert NAME not in html
    assert SENDER not in html


def test_console_unknown_issue_is_404_page(viewer: TestClient) -> None:
    response = viewer.get("/console/issues/HB-20200101-0404")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "HB-20200101-0404" in response.text


@pytest.mark.parametrize(
    ("payload", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"),
    ],
)
def test_console_escapes_citizen_text(
    viewer: TestClient, store: CaseStore, payload: str, escaped: str
) -> None:
    issue = file(
        store,
        phenomenon=f"河水发黑{payload}",
        polluter=payload,
        address=payload,
        original_text=payload,
    )
    for url in ("/console", f"/console/issues/{issue.ticket}"):
        html = viewer.get(url).text
        assert payload not in html, url
        assert escaped in html, url


def test_console_escapes_ticket_in_404(viewer: TestClient) -> None:
    response = viewer.get("/console/issues/<em>x")
    assert response.status_code == 404
    assert "<em>x" not in response.text
    assert "&lt;em&gt;x" in response.text


def test_console_static_css_is_served(client: TestClient) -> None:
    response = client.get("/console/static/console.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert "http" not in response.text  # no external fonts or CDNs
