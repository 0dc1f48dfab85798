"""bot/web/console/register.py: 多渠道登记 — draft with sources, files as evidence, roles, CSRF."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from bot.casework.evidence import EvidenceStore, blob_path
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from tests.console_login import login

LETTER = (
    "尊敬的领导：我住在涪城区青义镇，镇上的某某化工有限公司每天晚上往河里偷排污水，"
    "河水发黑发臭。希望尽快查处。联系电话13812345678。"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(timezone="Asia/Shanghai", evidence_dir=tmp_path / "evidence")


@pytest.fixture
def client(store: CaseStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def _fields(csrf: str, **extra: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "source": "来信",
        "text": LETTER,
        "categories": "水",
        "district": "涪城区",
        "town": "青义镇",
        "polluter": "某某化工有限公司",
        "reporter_name": "李某",
        "reporter_phone": "138 1234 5678",
        "uid": "a" * 32,
    }
    data.update(extra)
    return data


def test_page_needs_a_session(client: TestClient) -> None:
    r = client.get("/console/register", follow_redirects=False)
    assert r.status_code == 303 and "/console/login" in r.headers["location"]


def test_page_offers_every_source_with_labels_and_keys(
    client: TestClient, store: CaseStore
) -> None:
    login(client, store, "office")
    page = client.get("/console/register").text
    for source in (
        "来信",
        "来访",
        "书记市长信箱",
        "部门移交",
        "网格员巡查",
        "河长巡河",
        "媒体曝光",
        "社会组织",
        "督察交办",
        "其他",
    ):
        assert f'<option value="{source}"' in page
    assert 'accesskey="d"' in page and 'for="text"' in page and "多渠道登记" in page


def test_the_draft_shows_each_field_with_its_sentence_and_what_is_missing(
    client: TestClient, store: CaseStore
) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/register/draft", data={"csrf_token": csrf, "source": "来信", "text": LETTER}
    )
    assert r.status_code == 200
    page = r.text
    draft = page[page.index('id="draft"') : page.index('id="confirm"')]
    assert "某某化工有限公司" in draft and "每天晚上" in draft
    assert "“尊敬的领导：我住在涪城区青义镇" in draft  # the sentence a field came from
    assert 'id="missing"' in draft and "证据" in draft  # what the letter does not say
    assert "属于生态环境问题" in draft  # the scope decision
    # The confirm form starts from the draft.
    assert 'value="涪城区"' in page and 'value="水" checked' in page
    assert 'accesskey="s"' in page


def test_a_matter_for_another_office_needs_a_deliberate_tick(
    client: TestClient, store: CaseStore
) -> None:
    csrf = login(client, store, "office")
    text = "楼上邻居家每天晚上吵架摔东西，吵得睡不着，请派人管管。"
    r = client.post(
        "/console/register/draft", data={"csrf_token": csrf, "source": "来访", "text": text}
    )
    assert "建议转办" in r.text and 'name="force"' in r.text
    r = client.post(
        "/console/register", data=_fields(csrf, source="来访", text=text, categories="噪声")
    )
    assert r.status_code == 400 and "仍然登记" in r.text
    assert store.count() == 0


def test_registering_records_the_source_routes_and_keeps_the_files(
    client: TestClient, store: CaseStore, settings: Settings
) -> None:
    csrf = login(client, store, "office", name="赵登记")
    png = _png()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = client.post(
        "/console/register",
        data=_fields(csrf),
        files=[
            ("files", ("scan.pdf", pdf, "application/pdf")),
            ("files", ("river.png", png, "image/png")),
        ],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    ticket = re.search(r"/console/issues/(HB-\d{8}-\d{4})", r.headers["location"]).group(1)  # type: ignore[union-attr]
    issue = store.get(ticket)
    assert issue is not None
    assert (issue.channel, issue.source) == ("staff", "来信")
    assert issue.reporter_phone == "13812345678" and issue.reporter_name == "李某"
    assert issue.district == "涪城区" and issue.categories == ["水"]
    assert issue.department and issue.handle_due and issue.accept_due  # routing and deadlines
    assert issue.has_evidence is True
    kept = EvidenceStore(store, settings.evidence_dir).for_ticket(ticket)
    assert sorted((e.kind, e.content_type, e.note) for e in kept) == [
        ("document", "application/pdf", "scan.pdf"),
        ("image", "image/png", "river.png"),
    ]
    assert all(blob_path(settings.evidence_dir, e.sha256).read_bytes() in (png, pdf) for e in kept)
    page = client.get(r.headers["location"]).text
    assert "来信" in page and "已登记" in page
    # The same form sent twice (a double click, a reload) is filed once.
    again = client.post(
        "/console/register",
        data=_fields(csrf),
        files=[("files", ("river.png", png, "image/png"))],
        follow_redirects=False,
    )
    assert again.status_code == 303 and ticket in again.headers["location"]
    assert store.count() == 1
    assert len(EvidenceStore(store, settings.evidence_dir).for_ticket(ticket)) == 2


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("letter.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, "不是可接受的文件类型"),
        ("empty.png", b"", "空文件"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "不是可接受的文件类型"),
        ("evil.docx", b"PK\x03\x04" + b"\x00" * 60, "不是可接受的文件类型"),
    ],
)
def test_hostile_files_get_a_clear_reason_and_nothing_is_filed(
    client: TestClient, store: CaseStore, name: str, data: bytes, reason: str
) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/register",
        data=_fields(csrf, uid="b" * 32),
        files=[("files", (name, data, "image/png"))],
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert reason in r.text and name in r.text
    assert store.count() == 0
    # The form comes back as typed.
    assert "某某化工有限公司" in r.text and 'value="李某"' in r.text


def test_a_file_over_the_limit_is_refused(store: CaseStore, tmp_path: Path) -> None:
    settings = Settings(
        timezone="Asia/Shanghai", evidence_dir=tmp_path / "ev", max_evidence_bytes=1024
    )
    with TestClient(create_app(store=store, settings=settings)) as c:
        csrf = login(c, store, "office")
        r = c.post(
            "/console/register",
            data=_fields(csrf),
            files=[("files", ("big.pdf", b"%PDF-" + b"0" * 4096, "application/pdf"))],
        )
    assert r.status_code == 400 and "超过" in r.text and store.count() == 0


def test_a_decompression_bomb_is_refused(client: TestClient, store: CaseStore) -> None:
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")  # 400 megapixels, a few KB
    csrf = login(client, store, "office")
    r = client.post(
        "/console/register",
        data=_fields(csrf),
        files=[("files", ("bomb.png", out.getvalue(), "image/png"))],
    )
    assert r.status_code == 400 and "bomb.png" in r.text and store.count() == 0


def test_handover_sources_need_their_number_once(client: TestClient, store: CaseStore) -> None:
    csrf = login(client, store, "office")
    r = client.post("/console/register", data=_fields(csrf, source="部门移交", uid="c" * 32))
    assert r.status_code == 400 and "受理编号" in r.text
    ok = client.post(
        "/console/register",
        data=_fields(csrf, source="部门移交", external_ref="ZJ-2026-031", uid="d" * 32),
        follow_redirects=False,
    )
    assert ok.status_code == 303
    again = client.post(
        "/console/register",
        data=_fields(csrf, source="部门移交", external_ref="ZJ-2026-031", uid="e" * 32),
        follow_redirects=False,
    )
    assert (
        again.status_code == 303
        and ok.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    )
    assert store.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("reporter_phone", "12345", "联系电话"),
        ("district", "朝阳区", "不是本市的区县"),
        ("source", "微信群", "请选择来源"),
        ("handed_over_at", "昨天", "交办时间"),
    ],
)
def test_bad_fields_come_back_with_a_reason(
    client: TestClient, store: CaseStore, field: str, value: str, reason: str
) -> None:
    csrf = login(client, store, "office")
    r = client.post("/console/register", data=_fields(csrf, **{field: value}))
    assert r.status_code == 400 and reason in r.text and store.count() == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "请粘贴或录入"), ("hello world " * 5, "不是中文"), ("涪城区" + "\x00" * 5, "二进制")],
)
def test_unreadable_text_is_refused_politely(
    client: TestClient, store: CaseStore, text: str, reason: str
) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/register/draft", data={"csrf_token": csrf, "source": "来信", "text": text}
    )
    assert r.status_code == 400 and reason in r.text


@pytest.mark.parametrize("role", ["department", "leader"])
def test_only_the_office_registers(client: TestClient, store: CaseStore, role: str) -> None:
    csrf = login(client, store, role, department="住建局" if role == "department" else None)
    assert "只有污防办" in client.get("/console/register").text
    assert (
        client.post(
            "/console/register/draft", data={"csrf_token": csrf, "source": "来信", "text": LETTER}
        ).status_code
        == 403
    )
    assert client.post("/console/register", data=_fields(csrf)).status_code == 403
    assert store.count() == 0


def test_without_csrf_nothing_is_filed(client: TestClient, store: CaseStore) -> None:
    login(client, store, "office")
    data = _fields("")
    data.pop("csrf_token")
    assert client.post("/console/register", data=data).status_code == 403
    assert store.count() == 0


def test_anonymous_keeps_neither_name_nor_phone(client: TestClient, store: CaseStore) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/register", data=_fields(csrf, anonymous="1", uid="f" * 32), follow_redirects=False
    )
    assert r.status_code == 303
    ticket = r.headers["location"].split("/console/issues/")[1].split("?")[0]
    issue = store.get(ticket)
    assert issue is not None and issue.anonymous
    assert issue.reporter_name is None and issue.reporter_phone is None
