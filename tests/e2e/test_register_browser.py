"""多渠道登记 and 交办表导入 in a real headless Chromium (Playwright) against the real app process.

Only the app is started (the pages need neither Rasa nor the action server): a letter is pasted,
drafted and registered from the keyboard with a photo and a scanned letter made in the test; a
hand-over table built in the test is previewed, imported, imported again (nothing new), and its
report downloaded. Screenshots go to artifacts/console/. Needs Debian's chromium (`make browser`).
"""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.casework.accounts import Accounts
from bot.casework.evidence import EvidenceStore
from bot.casework.store import CaseStore
from bot.config import PROJECT_ROOT
from bot.ops.stack import Ports, Stack
from tests.bot.intake.test_handover import ROWS, xlsx
from tests.e2e.a11y import Audit

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
SHOTS = PROJECT_ROOT / "artifacts" / "console"
PASSWORD = "e2e-register-password"
LETTER = (
    "市生态环境局：我是游仙区石马镇的居民，镇上的某某砖厂每天晚上烟囱冒黑烟，"
    "刺鼻的味道飘进村里，晾的衣服都是黑灰。请尽快派人查处。联系电话13912345678。"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(
        ports=Ports(_free_port(), _free_port(), _free_port()),
        var_dir=tmp_path_factory.mktemp("reg"),
    )
    s.migrate()
    try:
        s.start("app")
        yield s
    finally:
        s.stop("app")


@pytest.fixture(scope="module")
def store(app: Stack) -> Iterator[CaseStore]:
    assert app.database_url
    s = CaseStore.from_url(app.database_url)
    yield s
    s.engine.dispose()


@pytest.fixture(scope="module")
def page(app: Stack, store: CaseStore) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (apt-get install chromium)")
    username = f"office-{uuid.uuid4().hex[:6]}"
    Accounts(store).create_user(username, PASSWORD, role="office", display_name="孙登记")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(
            base_url=app.app_url,
            locale="zh-CN",
            viewport={"width": 1400, "height": 900},
            accept_downloads=True,
        )
        pg = context.new_page()
        pg.goto("/console/login")
        pg.fill("input[name=username]", username)
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(re.compile(r"/console$"))
        yield pg
        browser.close()


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def audit() -> Iterator[Audit]:
    """axe-core (wcag2a, wcag2aa) on every state of these pages a browser makes; fails once at
    the end with every page's violations (tests/e2e/a11y.py)."""
    a = Audit()
    yield a
    a.assert_clean()


def _active(page: object) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))  # type: ignore[attr-defined]


def test_a_letter_is_registered_from_the_keyboard(
    page: object, app: Stack, store: CaseStore, tmp_path: Path, audit: Audit
) -> None:
    pg = page
    pg.click("nav >> text=多渠道登记")  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"/console/register$"))  # type: ignore[attr-defined]
    assert _active(pg) == "source"  # the form starts at the source
    audit.check(pg, "多渠道登记")
    pg.keyboard.press("ArrowDown")  # type: ignore[attr-defined]  # 来信, the first source
    order: list[str] = []
    for _ in range(15):  # a date-time field takes a Tab per part
        pg.keyboard.press("Tab")  # type: ignore[attr-defined]
        if not order or order[-1] != _active(pg):
            order.append(_active(pg))
        if order[-1] == "draft-btn":
            break
    assert order == ["external_ref", "batch", "handed_over_at", "text", "draft-btn"]
    pg.focus("#text")  # type: ignore[attr-defined]
    pg.keyboard.insert_text(LETTER)  # type: ignore[attr-defined]
    pg.keyboard.press("Control+Enter")  # type: ignore[attr-defined]  # in the text: 生成草稿
    pg.wait_for_url(re.compile(r"/console/register/draft$"))  # type: ignore[attr-defined]
    draft = pg.inner_text("#draft")  # type: ignore[attr-defined]
    assert "某某砖厂" in draft and "每天晚上" in draft
    assert "“市生态环境局：我是游仙区石马镇的居民" in draft  # the sentence each field came from
    assert "证据" in pg.inner_text("#missing")  # type: ignore[attr-defined]
    assert "属于生态环境问题" in pg.inner_text("#scope")  # type: ignore[attr-defined]
    assert pg.input_value("#district") == "游仙区"  # type: ignore[attr-defined]
    assert pg.is_checked("input[name=categories][value=大气]")  # type: ignore[attr-defined]
    assert _active(pg) == "district"  # the correction form has the focus
    _shot(pg, "20-register-draft")
    audit.check(pg, "多渠道登记·草稿")

    photo = tmp_path / "chimney.jpg"
    Image.new("RGB", (64, 48), (60, 60, 60)).save(photo, format="JPEG")
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pg.set_input_files("#files", [str(photo), str(scan)])  # type: ignore[attr-defined]
    pg.fill("#reporter_name", "周某")  # type: ignore[attr-defined]
    pg.focus("#reporter_name")  # type: ignore[attr-defined]
    pg.keyboard.press("Control+Enter")  # type: ignore[attr-defined]  # elsewhere: 登记
    pg.wait_for_url(re.compile(r"/console/issues/HB-"))  # type: ignore[attr-defined]
    ticket = re.search(r"HB-\d{8}-\d{4}", pg.url).group(0)  # type: ignore[attr-defined, union-attr]
    body = pg.inner_text("main")  # type: ignore[attr-defined]
    assert "已登记" in body and "来信" in body
    _shot(pg, "21-registered-issue")
    audit.check(pg, "问题·多渠道登记(来源、附件)")
    issue = store.get(ticket)
    assert issue is not None and issue.source == "来信" and issue.reporter_name == "周某"
    assert issue.district == "游仙区" and issue.department and issue.handle_due
    kept = EvidenceStore(store, app.evidence_dir).for_ticket(ticket)
    assert sorted(e.content_type for e in kept) == ["application/pdf", "image/jpeg"]


def test_a_refused_file_is_said_so_accessibly(page: object, store: CaseStore, audit: Audit) -> None:
    pg = page
    before = store.count()
    pg.goto("/console/register")  # type: ignore[attr-defined]
    pg.select_option("#source", "来访")  # type: ignore[attr-defined]
    pg.fill("#text", LETTER)  # type: ignore[attr-defined]
    pg.click("#draft-btn")  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"/console/register/draft$"))  # type: ignore[attr-defined]
    pg.set_input_files(  # type: ignore[attr-defined]
        "#files",
        files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"MZ" + b"\0" * 64}],
    )
    pg.click("#register-btn")  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"/console/register$"))  # type: ignore[attr-defined]
    assert "photo.jpg" in pg.inner_text("#errors")  # type: ignore[attr-defined]
    assert pg.input_value("#district") == "游仙区"  # type: ignore[attr-defined]  # kept as typed
    audit.check(pg, "多渠道登记·文件被拒")
    assert store.count() == before


def test_a_handover_table_is_previewed_imported_once_and_reported(
    page: object, store: CaseStore, tmp_path: Path, audit: Audit
) -> None:
    pg = page
    table = tmp_path / "第3批交办表.xlsx"
    table.write_bytes(xlsx(ROWS, title="省生态环境保护督察组交办信访件（第3批）"))
    before = store.count()
    pg.goto("/console/import")  # type: ignore[attr-defined]
    audit.check(pg, "交办表导入")
    pg.select_option("#source", "督察交办")  # type: ignore[attr-defined]
    pg.set_input_files("#file", str(table))  # type: ignore[attr-defined]
    pg.focus("#file")  # type: ignore[attr-defined]
    pg.keyboard.press("Control+Enter")  # type: ignore[attr-defined]  # 预览
    pg.wait_for_url(re.compile(r"/console/import/preview$"))  # type: ignore[attr-defined]
    mapping = pg.inner_text("#mapping")  # type: ignore[attr-defined]
    assert "交办问题基本情况" in mapping and "第3批" in mapping
    assert "可登记 4" in pg.inner_text("#confirm")  # type: ignore[attr-defined]
    assert store.count() == before  # nothing filed by the preview
    _shot(pg, "22-import-preview")
    audit.check(pg, "交办表导入·预览")
    assert _active(pg) == "confirm-btn"  # the preview puts the focus on 确认导入
    pg.keyboard.press("Enter")  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"/console/import/confirm$"))  # type: ignore[attr-defined]
    assert "新登记 4" in pg.inner_text("#result")  # type: ignore[attr-defined]
    assert store.count() == before + 4
    _shot(pg, "23-import-done")
    audit.check(pg, "交办表导入·完成")
    with pg.expect_download() as info:  # type: ignore[attr-defined]
        pg.click("#report-link")  # type: ignore[attr-defined]
    report = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert report.startswith("行号,序号,受理编号") and "X3MY202611004" in report

    # The same table again: nothing new, and the page says so.
    pg.goto("/console/import")  # type: ignore[attr-defined]
    pg.select_option("#source", "督察交办")  # type: ignore[attr-defined]
    pg.set_input_files("#file", str(table))  # type: ignore[attr-defined]
    pg.click("#preview-btn")  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"/console/import/preview$"))  # type: ignore[attr-defined]
    pg.click("#confirm-btn")  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"/console/import/confirm$"))  # type: ignore[attr-defined]
    assert "没有新增" in pg.inner_text("#result")  # type: ignore[attr-defined]
    assert store.count() == before + 4
