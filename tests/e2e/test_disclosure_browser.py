"""Publishing in a real headless Chromium against the running app (issue 18, part 3).

Staff resolve an issue with its results for publication in the console; the public 曝光台 shows
it with the complaint's personal data removed and never shows the open issue beside it; the
公开情况一览表 prints (print CSS: no forms or navigation, ruled table) and downloads as Excel.
Only the app is started (uvicorn, SQLite): publishing needs neither Rasa nor the action server.
Screenshots and a PDF of the printed pages go to artifacts/console/.
"""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from bot.casework.accounts import Accounts
from bot.casework.store import CaseStore
from bot.clock import utcnow
from bot.config import PROJECT_ROOT
from bot.ops.stack import Ports, Stack

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SHOTS = PROJECT_ROOT / "artifacts" / "console"
PASSWORD = "e2e-disclosure-password"
API_KEY = "e2e-disclosure-key"
PHONE = "13700002222"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(
        ports=Ports(_free_port(), _free_port(), _free_port()),
        var_dir=tmp_path_factory.mktemp("disclosure-stack"),
        extra_env={"GW_OPEN311_API_KEY": API_KEY},
    )
    s.migrate()
    try:
        s.start("app")
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def office_user(app_stack: Stack) -> Iterator[str]:
    assert app_stack.database_url
    store = CaseStore.from_url(app_stack.database_url)
    name = f"office-{uuid.uuid4().hex[:6]}"
    Accounts(store).create_user(name, PASSWORD, role="office", display_name="张受理")
    yield name
    store.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _context(browser: object, stack: Stack) -> object:
    return browser.new_context(  # type: ignore[attr-defined]
        base_url=stack.app_url,
        locale="zh-CN",
        viewport={"width": 1400, "height": 900},
        accept_downloads=True,
    )


def _file(stack: Stack, description: str) -> str:
    posted = httpx.post(
        f"{stack.app_url}/open311/v2/requests.json",
        data={
            "api_key": API_KEY,
            "service_code": "water",
            "address_string": "涪城区青义镇",
            "description": description,
            "phone": PHONE,
            "first_name": "秘",
            "last_name": "王",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    return str(posted.json()[0]["service_request_id"])


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_publishing_in_a_browser(app_stack: Stack, office_user: str, browser: object) -> None:
    published = _file(
        app_stack,
        f"青义镇化工厂夜里偷排污水，河水发黑，我的电话 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}",
    )
    still_open = _file(app_stack, "游仙区砖厂冒黑烟，尚在核查")

    # The office resolves the first issue with its results, from the keyboard.
    office = _context(browser, app_stack).new_page()  # type: ignore[attr-defined]
    office.goto("/console")
    office.fill("input[name=username]", office_user)
    office.fill("input[name=password]", PASSWORD)
    office.press("input[name=password]", "Enter")
    office.wait_for_url(re.compile(r"/console$"))
    office.goto(f"/console/issues/{published}")
    office.click("#accept")
    office.fill("form[action$='/route'] input[name=district]", "涪城区")
    office.click("#route")
    assert "已分办" in office.inner_text("#status-badge")
    office.select_option("#to-status", "resolved")
    office.fill("#status-note", "经核查属实，已责令整改。")
    office.fill("#result-verification", "经现场核查，该厂夜间通过暗管偷排生产废水，举报属实。")
    office.focus("#result-verdict")
    office.select_option("#result-verdict", "属实")
    office.fill("#result-rectification", "责令立即封堵暗管，罚款20万元，已完成整改。")
    office.fill("#result-accountability", "对企业负责人约谈，移送公安机关调查。")
    office.press("#result-accountability", "Tab")
    office.keyboard.press("Enter")  # the submit button follows the last field
    office.wait_for_selector("#published-results")
    assert "已办结" in office.inner_text("#status-badge")
    assert "移送公安机关" in office.inner_text("#published-results")
    _shot(office, "21-issue-results")

    # The public page: no login, the result, no phone, no open issue.
    public = _context(browser, app_stack).new_page()  # type: ignore[attr-defined]
    response = public.goto("/public/")
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    table = public.inner_text("#public-table")
    assert published in table and "封堵暗管" in table and "属实" in table
    content = public.content()
    for secret in (PHONE, PHONE[7:], "2222", still_open, "尚在核查", "王秘"):
        assert secret not in content, secret
    assert public.locator("input[name=password]").count() == 0
    # The stylesheet loads under the page's strict CSP (the top bar is styled, not plain).
    background = public.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    _shot(public, "22-public-list")

    # Filters from the keyboard: 噪声 has nothing; 水 has the issue; its own page opens.
    public.select_option("#public-type", "噪声")
    public.click("#public-filter")
    public.wait_for_url(re.compile(r"type="))
    assert public.locator("#public-empty").count() == 1
    public.select_option("#public-type", "水")
    public.press("#public-type", "Tab")  # to the 筛选 button
    public.keyboard.press("Enter")
    public.wait_for_selector("#public-table")
    public.click(f"a:has-text('{published}')")
    public.wait_for_url(re.compile(r"/public/issues/"))
    assert "移送公安机关" in public.inner_text("main")
    # An open issue's page answers like one that does not exist.
    gone = public.goto(f"/public/issues/{still_open}")
    assert gone is not None and gone.status == 404 and "尚在核查" not in public.content()

    # Printed, the public list keeps the table and drops the filters.
    public.goto("/public/")
    public.emulate_media(media="print")
    assert public.eval_on_selector(".filters", "e => getComputedStyle(e).display") == "none"
    border = public.eval_on_selector("#public-table td", "e => getComputedStyle(e).borderTopStyle")
    assert border == "solid"
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = public.pdf(path=str(SHOTS / "23-public-list.pdf"), landscape=True)
    assert pdf[:4] == b"%PDF"

    # The 公开情况一览表 of this month: a printable page and the Excel file.
    month = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    office.goto(f"/console/disclosure?month={month}")
    assert "公开情况一览表" in office.inner_text("h1")
    sheet = office.inner_text("#disclosure-table")
    assert published in sheet and still_open not in sheet and PHONE not in office.content()
    _shot(office, "24-disclosure")
    office.emulate_media(media="print")
    for hidden in (".topbar", "form.filters", "footer"):
        assert office.eval_on_selector(hidden, "e => getComputedStyle(e).display") == "none"
    assert office.locator("#disclosure-table").is_visible()
    office.pdf(path=str(SHOTS / "25-disclosure.pdf"), landscape=True)
    office.emulate_media(media="screen")
    with office.expect_download() as info:
        office.click("#disclosure-xlsx")
    download = info.value
    assert download.suggested_filename.startswith("公开情况一览表")
    ws = load_workbook(BytesIO(Path(download.path()).read_bytes())).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:3] == ("序号", "受理编号", "交办问题基本情况")
    assert rows[2][1] == published and rows[2][6] == "属实"
    assert PHONE[7:] not in str(rows[2][2]) and "***" in str(rows[2][2])
    assert len(rows) == 3
