"""bot/ops/table_import.py (`make import`): mapping shown first, a dry run, a progress bar, a
report file, and a second run that adds nothing and says so."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.casework.store import CaseStore
from bot.ops import table_import
from tests.bot.intake.test_handover import ROWS, xlsx


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "第3批交办表.xlsx"
    path.write_bytes(xlsx(ROWS))
    return path


@pytest.fixture(autouse=True)
def _store(store: CaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_import, "get_store", lambda: store)


def test_dry_run_shows_the_mapping_and_files_nothing(
    table: Path, store: CaseStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "dry.csv"
    code = table_import.main(
        [str(table), "--source", "督察交办", "--dry-run", "--report", str(report)]
    )
    out, err = capsys.readouterr()
    assert code == 1  # some rows need attention
    assert "受理编号 ← 受理编号" in out and "交办问题基本情况 ← 交办问题基本情况" in out
    assert "批次 ← （表中没有）" in out
    assert "试运行" in out and "可登记 4" in out
    assert "导入" in err and "行" in err  # the progress bar (tqdm, on stderr)
    assert store.count() == 0 and report.exists()


def test_import_then_again_adds_nothing_and_says_so(
    table: Path, store: CaseStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "attention.csv"
    code = table_import.main(
        [
            str(table),
            "--source",
            "督察交办",
            "--batch",
            "第3批",
            "--report",
            str(report),
            "--actor",
            "王五",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 1
    assert "新登记 4" in out and "需核对 2" in out and "未登记 2" in out
    with report.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {r["受理编号"] for r in rows} == {"X3MY202611003", "X3MY202611004", "X3MY202611002", ""}
    assert any("第 3 行" in r["需要注意"] for r in rows)
    assert store.count() == 4

    code = table_import.main(
        [str(table), "--source", "督察交办", "--report", str(tmp_path / "2.csv"), "--quiet"]
    )
    out, _ = capsys.readouterr()
    assert "新登记 0" in out and "已存在 4" in out and "没有新增" in out
    assert store.count() == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "微信"], "未知的来源"),
        (["--source", "督察交办", "--dry-run"], "找不到文件"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = table_import.main([str(tmp_path / "missing.xlsx"), *args])
    assert code == 2 and message in capsys.readouterr().err


def test_a_malformed_file_exits_2_and_files_nothing(
    tmp_path: Path, store: CaseStore, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    assert table_import.main([str(bad), "--source", "督察交办"]) == 2
    assert "无法读取表格" in capsys.readouterr().err and store.count() == 0
