"""The staff console in a real headless Chromium (Playwright), against the running stack.

Covers login, role scoping, filtering, a status change that the citizen then sees through the
bot, merge, and the Excel export. Screenshots of the main pages go to artifacts/console/.
Needs Debian's chromium at /usr/bin/chromium (`make browser`); never downloads a browser.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.casework.accounts import Accounts
from bot.casework.store import CaseStore
from bot.config import PROJECT_ROOT
from bot.ops.stack import Stack
from tests.e2e.conftest import API_KEY, Chat

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = PROJECT_ROOT / "artifacts" / "console"
PASSWORD = "e2e-console-password"
TICKET_RE = re.compile(r"HB-\d{8}-\d{4}")


@pytest.fixture(scope="module")
def users(stack: Stack) -> Iterator[dict[str, str]]:
    assert stack.database_url
    store = CaseStore.from_url(stack.database_url)
    accounts = Accounts(store)
    suffix = uuid.uuid4().hex[:6]
    names = {
        "office": f"office-{suffix}",
        "dept": f"dept-{suffix}",
        "leader": f"leader-{suffix}",
    }
    accounts.create_user(names["office"], PASSWORD, role="office", display_name="张受理")
    accounts.create_user(
        names["dept"], PASSWORD, role="department", department="住建局", display_name="住建局李工"
    )
    accounts.create_user(names["leader"], PASSWORD, role="leader", display_name="王主任")
    yield names
    store.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _page(browser: object, stack: Stack, username: str) -> object:
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=stack.app_url,
        locale="zh-CN",
        viewport={"width": 1400, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.goto("/console")
    assert "/console/login" in page.url  # no session: the login page
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/console$"))
    return page


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _report(chat: Chat, first: str) -> str:
    reply = chat.say(first)
    for _ in range(8):
        if "对吗" in reply:
            break
        if "证据" in reply:
            reply = chat.say("没有")
        elif "手机" in reply:
            reply = chat.say("13812345678")
        elif "哪家单位" in reply:
            reply = chat.say("不清楚")
        elif "什么时候" in reply:
            reply = chat.say("每天晚上")
        else:
            reply = chat.say("不清楚")
    assert "对吗" in reply, chat.transcript()
    filed = chat.say("确认")
    m = TICKET_RE.search(filed)
    assert m, chat.transcript()
    return m.group(0)


def test_console_in_a_browser(stack: Stack, users: dict[str, str], browser: object) -> None:
    # A citizen reports construction dust through the bot; it is routed to 住建局 automatically.
    citizen = Chat(stack)
    ticket = _report(citizen, "涪城区城郊街道有个工地天天扬尘，灰大得很，窗户都不敢开")
    # A second report of the same site arrives through Open311 (another civic system).
    posted = httpx.post(
        f"{stack.app_url}/open311/v2/requests.json",
        data={
            "api_key": API_KEY,
            "service_code": "air-dust",
            "address_string": "涪城区城郊街道",
            "description": "城郊街道工地扬尘，灰很大",
            "phone": "13900001111",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    second = posted.json()[0]["service_request_id"]

    office = _page(browser, stack, users["office"])
    assert office.locator(f"text={ticket}").count() >= 1  # type: ignore[attr-defined]
    assert "张受理" in office.inner_text("header")  # type: ignore[attr-defined]
    _shot(office, "01-ledger")

    # Filtering: the chat report's own category shows it; 水 does not; search finds the second.
    chat_category = httpx.get(
        f"{stack.app_url}/open311/v2/requests/{ticket}.json", timeout=10
    ).json()[0]["service_name"]
    office.select_option("select[name=category]", chat_category)  # type: ignore[attr-defined]
    office.click("button:has-text('筛选')")  # type: ignore[attr-defined]
    office.wait_for_url(re.compile(r"category="))  # type: ignore[attr-defined]
    body = office.inner_text("table.ledger")  # type: ignore[attr-defined]
    assert ticket in body, (chat_category, citizen.transcript())
    office.goto("/console?category=水")  # type: ignore[attr-defined]
    assert ticket not in office.content()  # type: ignore[attr-defined]
    office.goto(f"/console?q={second}")  # type: ignore[attr-defined]
    assert second in office.inner_text("table.ledger")  # type: ignore[attr-defined]
    _shot(office, "02-filtered")

    # The issue page: automatic routing with its rule, then accept → route → resolve.
    office.goto(f"/console/issues/{ticket}")  # type: ignore[attr-defined]
    assert "住建局" in office.inner_text("#department")  # type: ignore[attr-defined]
    assert "construction-dust" in office.content()  # type: ignore[attr-defined]
    _shot(office, "03-issue")
    office.click("#accept")  # type: ignore[attr-defined]
    assert "已受理" in office.inner_text("#status-badge")  # type: ignore[attr-defined]
    office.click("#route")  # type: ignore[attr-defined]
    assert "已分办" in office.inner_text("#status-badge")  # type: ignore[attr-defined]

    # Merge the Open311 report into the citizen's issue.
    office.goto(f"/console/issues/{second}")  # type: ignore[attr-defined]
    office.fill("#merge-into", ticket)  # type: ignore[attr-defined]
    office.click("#merge")  # type: ignore[attr-defined]
    assert "已合并" in office.inner_text("#status-badge")  # type: ignore[attr-defined]
    office.goto(f"/console/issues/{ticket}")  # type: ignore[attr-defined]
    assert second in office.inner_text("aside")  # type: ignore[attr-defined]

    # Department staff see only 住建局's issues, with contacts masked, and resolve this one.
    dept = _page(browser, stack, users["dept"])
    listing = dept.inner_text("main")  # type: ignore[attr-defined]
    assert ticket in listing and "仅显示分办给住建局" in listing
    assert "13812345678" not in dept.content()  # type: ignore[attr-defined]
    dept.goto(f"/console/issues/{ticket}")  # type: ignore[attr-defined]
    dept.select_option("#to-status", "in_progress")  # type: ignore[attr-defined]
    dept.click("#change-status")  # type: ignore[attr-defined]
    dept.select_option("#to-status", "resolved")  # type: ignore[attr-defined]
    dept.fill("#status-note", "已责令工地覆盖裸土、洒水降尘，扬尘已得到控制。")  # type: ignore[attr-defined]
    dept.click("#change-status")  # type: ignore[attr-defined]
    assert "已办结" in dept.inner_text("#status-badge")  # type: ignore[attr-defined]
    _shot(dept, "04-issue-department")

    # The citizen asks the bot and sees the same status and result the console shows.
    answer = citizen.say(f"查询 {ticket}")
    assert "已办结" in answer and "覆盖裸土" in answer and "满意" in answer, citizen.transcript()
    office.goto(f"/console/issues/{ticket}")  # type: ignore[attr-defined]
    assert "覆盖裸土" in office.inner_text(".citizen")  # type: ignore[attr-defined]
    # The merged report followed its main issue.
    office.goto(f"/console/issues/{second}")  # type: ignore[attr-defined]
    assert "已办结" in office.inner_text("#status-badge")  # type: ignore[attr-defined]

    # The leader reads everything and changes nothing.
    leader = _page(browser, stack, users["leader"])
    leader.goto(f"/console/issues/{ticket}")  # type: ignore[attr-defined]
    assert leader.locator("#change-status").count() == 0  # type: ignore[attr-defined]
    leader.goto("/console/report")  # type: ignore[attr-defined]
    assert leader.locator("svg.chart").count() >= 4  # type: ignore[attr-defined]
    _shot(leader, "05-report")

    # Export: the 台账 downloads as an Excel file with the office's columns.
    office.goto("/console")  # type: ignore[attr-defined]
    with office.expect_download() as info:  # type: ignore[attr-defined]
        office.click("a:has-text('导出台账')")  # type: ignore[attr-defined]
    download = info.value
    assert download.suggested_filename.startswith(
        "问题台账"
    ) and download.suggested_filename.endswith(".xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(Path(download.path()).read_bytes())).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "来源渠道", "受理时间")
    exported = {r[0]: r for r in rows[1:]}
    assert exported[ticket][8] == "住建局" and exported[ticket][10] == "已办结"
    assert exported[second][12].startswith("是")
    office.goto("/console/callbacks")  # type: ignore[attr-defined]
    _shot(office, "06-callbacks")
