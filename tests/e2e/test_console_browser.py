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


# -- accessibility (axe-core, WCAG 2 A and AA) ------------------------------------------------
#: Every page the axe check opens: (name, account, URL). The account is a key of `users` (office,
#: dept, leader) or "anonymous" (no login: the login page, public pages). `{key}` in a URL is a
#: ticket of the `ledger_content` fixture (keys below). A new page: add a line here; for a state
#: only a browser makes (a form sent, a panel opened), add a step to
#: test_every_console_page_is_accessible with `audit.check(page, name)`.
A11Y_PAGES: list[tuple[str, str, str]] = [
    ("台账", "office", "/console"),
    ("台账·无结果", "office", "/console?q=无此举报-a11y"),
    ("台账·超期督办", "office", "/console?deadline=overdue&sort=due"),
    ("台账·临期", "office", "/console?deadline=soon"),
    ("台账·疑似重复", "office", "/console?duplicates=1"),
    ("台账·热点", "office", "/console?hotspot=1"),
    ("台账·已关闭", "office", "/console?status=closed"),
    ("台账·部门", "dept", "/console"),
    ("台账·领导", "leader", "/console"),
    ("问题·已登记超期(证据、位置)", "office", "/console/issues/{overdue}"),
    ("问题·已受理临期", "office", "/console/issues/{soon}"),
    ("问题·已分办(热线)", "office", "/console/issues/{routed}"),
    ("问题·办理中", "office", "/console/issues/{in_progress}"),
    ("问题·已办结", "office", "/console/issues/{resolved}"),
    ("问题·已关闭", "office", "/console/issues/{closed}"),
    ("问题·重新办理", "office", "/console/issues/{reopened}"),
    ("问题·已转办", "office", "/console/issues/{transferred}"),
    ("问题·已合并", "office", "/console/issues/{merged}"),
    ("问题·主件(含合并件)", "office", "/console/issues/{main}"),
    ("问题·疑似重复", "office", "/console/issues/{duplicate}"),
    ("问题·提示", "office", "/console/issues/{routed}?msg=状态已更新"),
    ("问题·部门", "dept", "/console/issues/{in_progress}"),
    ("问题·领导", "leader", "/console/issues/{resolved}"),
    ("出错页·无此举报", "office", "/console/issues/HB-19990101-9999"),
    ("出错页·无权限", "dept", "/console/security"),
    ("月度通报", "office", "/console/report"),
    ("月度通报·无数据", "office", "/console/report?month=2001-01"),
    ("月度通报·部门", "dept", "/console/report"),
    ("回访任务", "office", "/console/callbacks"),
    ("回访任务·已完成", "office", "/console/callbacks?done=1"),
    ("回访任务·领导", "leader", "/console/callbacks"),
    ("热线登记", "office", "/console/hotline"),
    ("热线登记·领导(只读)", "leader", "/console/hotline"),
    ("多渠道登记", "office", "/console/register"),
    ("多渠道登记·部门(不可登记)", "dept", "/console/register"),
    ("交办表导入", "office", "/console/import"),
    ("安全事件", "office", "/console/security"),
    ("安全事件·告警", "office", "/console/security?alerts=1"),
    ("未登录·转到登录页", "anonymous", "/console/report"),
    ("公开情况一览表", "office", "/console/disclosure"),
    ("曝光台", "anonymous", "/public/"),
    ("曝光台·一件", "anonymous", "/public/issues/{resolved}"),
    ("曝光台·无此件", "anonymous", "/public/issues/{in_progress}"),
]

A11Y_TRANSCRIPT = (
    "坐席：您好，市民热线。\n"
    "来电人：我要反映游仙区忠兴镇有个养殖场，粪水直接排到旁边的小河沟里，臭得很。\n"
    "坐席：大概什么时候开始的？\n"
    "来电人：这个月一直这样。\n"
)


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (32, 24), (90, 140, 90)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def ledger_content(stack: Stack) -> Iterator[dict[str, str]]:
    """Issues in every state the console colours differently: each status, overdue and soon
    deadlines, evidence and a position, a hot spot, a suggested duplicate, a merge, field edits,
    call-back tasks pending and done. Made through the case work API, as the console would."""
    from datetime import timedelta

    from sqlalchemy import update

    from bot.casework.evidence import EvidenceStore
    from bot.casework.models import CallbackTask, Issue
    from bot.clock import utcnow
    from tests.factories import draft, quiet_work

    assert stack.database_url
    store = CaseStore.from_url(stack.database_url)
    work = quiet_work(store)
    now = utcnow()
    run = uuid.uuid4().hex[:6]

    def file(name: str, *, days_ago: int = 0, **fields: object) -> str:
        fields.setdefault("client_ref", f"a11y-{run}-{name}")
        fields.setdefault("address", f"无障碍检查{name}路{run}号")
        fields.setdefault("polluter", f"检查用{name}厂{run}")
        issue, _ = store.file(draft(**fields), now=now - timedelta(days=days_ago))
        return issue.ticket

    sender = f"a11y-{run}"
    EvidenceStore(store, stack.evidence_dir).add(
        channel="rest", sender_id=sender, kind="image", data=_png(), content_type="image/png"
    )
    t: dict[str, str] = {
        "overdue": file(
            "overdue", days_ago=40, reporter_sender_id=sender, latitude=31.47, longitude=104.68
        ),
        "soon": file("soon"),
        "routed": file("routed", channel="hotline", reporter_name="赵先生"),
        "in_progress": file("in_progress", categories=["大气"], channel="hotline"),
        "resolved": file("resolved"),
        "closed": file("closed"),
        "reopened": file("reopened"),
        "transferred": file("transferred"),
        "merged": file("merged"),
        "main": file("main"),
    }
    # Three reports of one place: a hot spot, and duplicates suggested for staff to decide.
    same = {"address": f"无障碍检查热点路{run}号", "polluter": f"检查用热点厂{run}"}
    t["duplicate"] = file("hot-1", **same)
    file("hot-2", **same)
    file("hot-3", **same)

    actor = "a11y"
    work.accept(t["soon"], actor=actor)
    for name in ("routed", "in_progress", "resolved", "closed", "reopened"):
        work.route(t[name], department="住建局", district="涪城区", actor=actor)
    work.change_status(t["in_progress"], "in_progress", actor=actor, note="已安排现场核查。")
    for name in ("resolved", "closed", "reopened"):
        work.resolve(t[name], result="已责令整改，现场复查达标。", actor=actor)
    work.feedback(t["closed"], satisfied=True, actor=actor)
    work.feedback(t["reopened"], satisfied=False, actor=actor, comment="还是有味道")
    work.transfer(t["transferred"], reason="属供电部门职责，已转交。", actor=actor)
    work.merge(t["merged"], t["main"], actor=actor)
    work.edit(t["main"], {"phenomenon": "夜间排放黑烟，气味刺鼻（坐席更正）"}, actor=actor)
    with store.transaction() as s:
        s.execute(
            update(Issue)
            .where(Issue.ticket == t["soon"])
            .values(handle_due=now + timedelta(days=1))
        )
        task = s.query(CallbackTask).join(Issue).where(Issue.ticket == t["routed"]).first()
        assert task is not None
        task_id = task.id
    work.complete_callback(task_id, actor=actor, outcome="已电话告知")
    yield t
    store.engine.dispose()


def test_every_console_page_is_accessible(
    stack: Stack, users: dict[str, str], browser: object, ledger_content: dict[str, str]
) -> None:
    """axe-core finds no WCAG 2 A/AA violation on any console page, with and without content."""
    from tests.e2e.a11y import Audit

    audit = Audit()
    # The login page, fresh and after a wrong password (which also fills 安全事件).
    context = browser.new_context(base_url=stack.app_url, locale="zh-CN")  # type: ignore[attr-defined]
    anonymous = context.new_page()
    anonymous.goto("/console")
    assert "/console/login" in anonymous.url
    audit.check(anonymous, "登录")
    anonymous.fill("input[name=username]", users["office"])
    anonymous.fill("input[name=password]", "not-the-password")
    anonymous.click("button[type=submit]")
    anonymous.wait_for_selector("[role=alert]")
    audit.check(anonymous, "登录·密码错误")

    pages = {role: _page(browser, stack, name) for role, name in users.items()}
    pages["anonymous"] = context.new_page()
    for name, role, url in A11Y_PAGES:
        page = pages[role]
        response = page.goto(url.format(**ledger_content))  # type: ignore[attr-defined]
        assert response is not None and response.status < 500, (name, url)
        audit.check(page, name)

    # State only a browser makes: the edit form opened, a hotline draft on screen.
    office = pages["office"]
    office.goto(f"/console/issues/{ledger_content['main']}")  # type: ignore[attr-defined]
    office.click("summary")  # type: ignore[attr-defined]
    audit.check(office, "问题·修改表单")
    office.goto("/console/hotline")  # type: ignore[attr-defined]
    office.fill("#transcript", A11Y_TRANSCRIPT)  # type: ignore[attr-defined]
    office.press("#transcript", "Control+Enter")  # type: ignore[attr-defined]
    office.wait_for_selector("#draft tr", timeout=60_000)  # type: ignore[attr-defined]
    office.focus("#draft tr")  # type: ignore[attr-defined]  # highlights the field's source
    audit.check(office, "热线登记·草稿")
    _shot(office, "07-hotline-draft")
    for page in pages.values():
        page.context.close()  # type: ignore[attr-defined]
    print("axe violations per page:\n" + audit.summary())
    audit.assert_clean()


def test_the_first_tab_skips_the_menu(stack: Stack, users: dict[str, str], browser: object) -> None:
    """Keyboard users reach the page's content with Tab, Enter instead of tabbing the menu."""
    from tests.e2e.a11y import assert_accessible

    page = _page(browser, stack, users["office"])
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"  # type: ignore[attr-defined]
    assert page.locator(".skip").is_visible()  # type: ignore[attr-defined]
    assert_accessible(page, "台账·跳到正文")  # shown over the green bar, still legible
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "main"  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    inside = "document.getElementById('main').contains(document.activeElement)"
    assert page.evaluate(inside)  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]
