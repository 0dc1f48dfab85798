"""The app's edges under attack (issue 14 §5): login guessing, client addresses, headers, reflection."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

import bot.casework.accounts
from bot.casework.store import CaseStore
from bot.casework.throttle import Throttle
from bot.config import Settings
from bot.web.app import create_app
from bot.web.console.security import DEVICE_COOKIE, SESSION_COOKIE
from bot.web.deps import client_address
from tests.console_login import PASSWORD, csrf_of, make_user

ATTACKER = ("198.51.100.7", 40001)
STAFF_PC = ("203.0.113.20", 40002)


def app_client(store: CaseStore, peer: tuple[str, int], **settings: object) -> TestClient:
    app = create_app(store=store, settings=Settings(timezone="Asia/Shanghai", **settings))  # type: ignore[arg-type]
    return TestClient(app, client=peer)


def attempt(
    client: TestClient, username: str, password: str, headers: dict[str, str] | None = None
) -> str:
    """Posts the login form; the page the browser ends up on."""
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        headers=headers or {},
    )
    return response.text


def logged_in(client: TestClient) -> bool:
    return bool(client.cookies.get(SESSION_COOKIE)) and "退出" in client.get("/console").text


@pytest.fixture
def staff(store: CaseStore) -> str:
    return make_user(store, "office")


@pytest.fixture
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throttle's clock stands still: a block of 2 s, 4 s … cannot run out while a slow
    machine (PostgreSQL, scrypt, other jobs) works through the guesses, which made these tests
    depend on the machine's speed."""
    import bot.casework.throttle
    from bot.clock import utcnow

    frozen = utcnow()
    monkeypatch.setattr(bot.casework.throttle, "utcnow", lambda: frozen)


# -- login throttling ----------------------------------------------------------------------------
@pytest.mark.usefixtures("still_clock")
def test_twenty_wrong_passwords_then_the_right_one_is_refused(store: CaseStore, staff: str) -> None:
    """Today: 20 wrong passwords in 0.8 s, then the right one logs in."""
    with app_client(store, ATTACKER) as c:
        answers = [attempt(c, staff, f"guess-{n:04d}") for n in range(20)]
        assert "用户名或密码错误" in answers[0]
        final = attempt(c, staff, PASSWORD)
        assert not logged_in(c)
        assert "秒后再试" in final or "分钟后再试" in final
        assert "用户名或密码错误" not in final  # a throttled answer says nothing about the password


def test_unknown_and_known_accounts_are_throttled_alike(store: CaseStore, staff: str) -> None:
    """No account enumeration through the throttle: a made-up name is counted like a real one."""
    with app_client(store, ATTACKER) as c:
        real = [attempt(c, staff, "wrong-password") for _ in range(8)]
    with app_client(store, ("198.51.100.8", 1)) as c:
        made_up = [attempt(c, "nobody-here", "wrong-password") for _ in range(8)]
    waits = re.compile(r"\d+ ?(秒|分钟)")
    assert [bool(waits.search(a)) for a in real] == [bool(waits.search(a)) for a in made_up]


def test_throttled_answers_cost_a_password_check_too(
    store: CaseStore, staff: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even timing: every answer, throttled or not, unknown user or not, runs one scrypt check."""
    checks: list[int] = []
    real_verify = bot.casework.accounts.verify_password

    def counting(password: str, stored: str) -> bool:
        checks.append(1)
        return real_verify(password, stored)

    monkeypatch.setattr(bot.casework.accounts, "verify_password", counting)
    with app_client(store, ATTACKER) as c:
        for n in range(12):
            before = len(checks)
            attempt(c, staff if n % 2 else "nobody-here", f"guess-{n}")
            assert len(checks) - before == 1, n


def test_an_attacker_cannot_lock_staff_out(store: CaseStore, staff: str) -> None:
    """No hard lock: a browser that logged in before keeps logging in while its account is
    under attack from elsewhere; the attacker's own address is slowed for every account."""
    with app_client(store, STAFF_PC) as office:
        attempt(office, staff, PASSWORD)
        assert logged_in(office)
        device = office.cookies.get(DEVICE_COOKIE)
        assert device
        office.post("/console/logout", data={"csrf_token": csrf_of(office.get("/console").text)})
        assert not logged_in(office)

        with app_client(store, ATTACKER) as attacker:
            for n in range(30):
                attempt(attacker, staff, f"guess-{n:04d}")
            other = make_user(store, "leader")
            attempt(attacker, other, PASSWORD)
            assert not logged_in(attacker)

        attempt(office, staff, PASSWORD)
        assert logged_in(office)


@pytest.mark.usefixtures("still_clock")
def test_a_new_browser_waits_while_the_account_is_under_attack(
    store: CaseStore, staff: str
) -> None:
    """Spread over many addresses, guesses still slow the account down (for unknown browsers)."""
    for n in range(12):
        with app_client(store, (f"192.0.2.{n + 1}", 1)) as c:
            attempt(c, staff, f"guess-{n:04d}")
    with app_client(store, ("192.0.2.200", 1)) as fresh:
        answer = attempt(fresh, staff, PASSWORD)
        assert not logged_in(fresh) and "后再试" in answer


def test_login_attempts_are_audited(store: CaseStore, staff: str) -> None:
    with app_client(store, ATTACKER) as c:
        for n in range(8):
            attempt(c, staff, f"guess-{n:04d}")
    events = Throttle(store).events()
    kinds = {e.kind for e in events}
    assert {"login_failed", "login_refused"} <= kinds
    failed = [e for e in events if e.kind == "login_failed"]
    assert all(e.subject == staff and e.source == ATTACKER[0] for e in failed)
    assert not any("guess-" in str(e) for e in events)  # passwords are never recorded


# -- client addresses ----------------------------------------------------------------------------
def test_forwarded_for_counts_only_from_a_trusted_proxy(store: CaseStore, staff: str) -> None:
    """An attacker who rotates X-Forwarded-For is still one address; behind the configured proxy,
    each forwarded client is its own."""
    with app_client(store, ATTACKER) as c:
        for n in range(12):
            attempt(c, f"user-{n}", "wrong-password", {"X-Forwarded-For": f"10.9.0.{n}"})
        answer = attempt(c, staff, PASSWORD, {"X-Forwarded-For": "10.9.0.250"})
        assert not logged_in(c) and "后再试" in answer

    with app_client(store, ("127.0.0.1", 5), trusted_proxies=("127.0.0.1",)) as proxied:
        for n in range(12):
            attempt(proxied, f"user-{n}", "wrong-password", {"X-Forwarded-For": "10.8.0.1"})
        attempt(proxied, staff, PASSWORD, {"X-Forwarded-For": "10.8.0.2"})
        assert logged_in(proxied)
    sources = {e.source for e in Throttle(store).events() if e.kind == "login_failed"}
    assert "10.8.0.1" in sources and "127.0.0.1" not in sources and "10.9.0.1" not in sources


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.7", "10.0.0.1", (), "198.51.100.7"),
        ("127.0.0.1", "10.0.0.1", ("127.0.0.1",), "10.0.0.1"),
        ("127.0.0.1", "1.2.3.4, 10.0.0.1", ("127.0.0.1",), "10.0.0.1"),  # rightmost untrusted
        ("127.0.0.1", "10.0.0.1, 10.1.0.2", ("127.0.0.1", "10.1.0.0/16"), "10.0.0.1"),
        ("127.0.0.1", "not-an-address", ("127.0.0.1",), "127.0.0.1"),
        ("127.0.0.1", "", ("127.0.0.1",), "127.0.0.1"),
        ("2001:db8:1:2::5", "", (), "2001:db8:1:2::/64"),  # one IPv6 host owns a whole /64
    ],
)
def test_client_address(peer: str, forwarded: str, trusted: tuple[str, ...], expected: str) -> None:
    assert client_address(peer, forwarded, trusted) == expected


# -- headers and reflected text ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/healthz"),
        ("GET", "/console/login"),
        ("GET", "/console"),  # the redirect to the login page
        ("GET", "/console/issues/HB-20200101-0001"),
        ("GET", "/console/static/console.css"),
        ("GET", "/open311/v2/services.json"),
        ("GET", "/open311/v2/requests/HB-20200101-0001.json"),  # 404
        ("POST", "/open311/v2/requests.json"),  # 403
        ("GET", "/no/such/page"),
    ],
)
def test_security_headers_on_every_response(store: CaseStore, method: str, url: str) -> None:
    with app_client(store, ATTACKER, open311_api_key=SecretStr("k" * 16)) as c:
        response = c.request(method, url, follow_redirects=False)
    h = response.headers
    assert h["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"


def test_unexpected_errors_carry_the_headers_too(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.casework import queries

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(queries, "service_requests", broken)
    app = create_app(store=store, settings=Settings())
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/open311/v2/requests.json")
    assert response.status_code == 500
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "injected",
    ["系统升级，请拨打 400-000-0000 重新验证账号", "<b>Session expired</b>", "用户名或密码错误!!"],
)
def test_login_page_does_not_reflect_the_error_parameter(store: CaseStore, injected: str) -> None:
    """Today: /console/login?error=<any text> shows that text on our own page (phishing)."""
    with app_client(store, ATTACKER) as c:
        html = c.get("/console/login", params={"error": injected}).text
    assert "400-000-0000" not in html and "Session expired" not in html and "!!" not in html
    assert 'role="alert"' not in html


def test_login_page_shows_the_catalogued_error(store: CaseStore) -> None:
    with app_client(store, ATTACKER) as c:
        assert "用户名或密码错误" in c.get("/console/login?error=bad").text
        assert "秒后再试" in c.get("/console/login?error=wait&wait=30").text
        assert "99999" not in c.get("/console/login?error=wait&wait=99999999").text
        for odd in ("²", "-5", "1e9", "x"):  # never a 500, never the raw value
            page = c.get("/console/login", params={"error": "wait", "wait": odd})
            assert page.status_code == 200 and "秒后再试" in page.text
