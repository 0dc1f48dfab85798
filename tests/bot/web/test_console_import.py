"""bot/web/console/imports.py: upload → preview (mapping, row checks, nothing filed) → confirm →
the report downloadable; office only, CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from tests.bot.intake.test_handover import ROWS, csv_bytes, xlsx
from tests.console_login import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(store: CaseStore, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(timezone="Asia/Shanghai", evidence_dir=tmp_path / "evidence")
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def _hidden(page: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert m, name
    return m.group(1)


def test_preview_then_confirm_then_the_report(client: TestClient, store: CaseStore) -> None:
    csrf = login(client, store, "office")
    page = client.get("/console/import").text
    assert 'accept=".xlsx,.csv"' in page and "还没有导入记录" in page
    r = client.post(
        "/console/import/preview",
        data={"csrf_token": csrf, "source": "督察交办", "batch": "第3批"},
        files={"file": ("第3批.xlsx", xlsx(ROWS), XLSX)},
    )
    assert r.status_code == 200, r.text
    preview = r.text
    assert 'id="mapping"' in preview and "交办问题基本情况" in preview
    assert "可登记 4" in preview and "与第 3 行重复" in preview
    rows = preview[preview.index('id="rows"') :]
    assert "将登记，需核对" in rows and "已登记" not in rows  # nothing is said to be filed yet
    assert store.count() == 0  # nothing filed before the confirmation
    confirm = {
        "csrf_token": csrf,
        "sha256": _hidden(preview, "sha256"),
        "file_name": _hidden(preview, "file_name"),
        "source": "督察交办",
        "batch": "第3批",
    }
    done = client.post("/console/import/confirm", data=confirm)
    assert done.status_code == 200 and "新登记 4" in done.text
    assert store.count() == 4
    link = re.search(r'href="(/console/import/runs/\d+/report\.csv)"', done.text)
    assert link
    report = client.get(link.group(1))
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    assert "X3MY202611004" in report.text and "受理编号" in report.text
    # Confirming again (a reload) adds nothing, and says so.
    again = client.post("/console/import/confirm", data=confirm)
    assert "新登记 0" in again.text and "没有新增" in again.text and store.count() == 4


def test_csv_in_gb18030_is_read(client: TestClient, store: CaseStore) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/import/preview",
        data={"csrf_token": csrf, "source": "部门移交"},
        files={"file": ("移交.csv", csv_bytes(ROWS, encoding="gb18030"), "text/csv")},
    )
    assert r.status_code == 200
    assert "可登记 4" in r.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("t.xlsx", b"PK\x03\x04garbage", "无法读取表格"),
        ("t.exe", b"MZ\x90\x00", "只支持"),
        ("t.csv", "甲,乙\n1,2\n".encode(), "表头"),
    ],
)
def test_bad_tables_get_a_reason_not_a_500(
    client: TestClient, store: CaseStore, name: str, data: bytes, reason: str
) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/import/preview",
        data={"csrf_token": csrf, "source": "督察交办"},
        files={"file": (name, data, "application/octet-stream")},
    )
    assert r.status_code == 400 and reason in r.text and store.count() == 0


def test_a_forged_confirmation_is_refused(client: TestClient, store: CaseStore) -> None:
    csrf = login(client, store, "office")
    r = client.post(
        "/console/import/confirm",
        data={
            "csrf_token": csrf,
            "sha256": "../../etc/passwd",
            "file_name": "x.xlsx",
            "source": "督察交办",
        },
    )
    assert r.status_code == 400 and "重新上传" in r.text


@pytest.mark.parametrize("role", ["department", "leader"])
def test_only_the_office_imports(client: TestClient, store: CaseStore, role: str) -> None:
    csrf = login(client, store, role, department="住建局" if role == "department" else None)
    r = client.post(
        "/console/import/preview",
        data={"csrf_token": csrf, "source": "督察交办"},
        files={"file": ("t.xlsx", xlsx(ROWS), XLSX)},
    )
    assert r.status_code == 403
    assert client.get("/console/import/runs/1/report.csv").status_code == 403


def test_without_csrf_nothing_is_previewed(client: TestClient, store: CaseStore) -> None:
    login(client, store, "office")
    r = client.post(
        "/console/import/preview",
        data={"source": "督察交办"},
        files={"file": ("t.xlsx", xlsx(ROWS), XLSX)},
    )
    assert r.status_code == 403
