"""bot/intake/handover.py: hand-over tables read from xlsx and CSV, columns mapped from header
variants, rows checked and filed once per (source, 受理编号). Rows are invented for the tests."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from bot.casework.deadlines import calendar, policy
from bot.casework.imports import ImportRuns
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.intake.context import Context
from bot.intake.handover import (
    MAX_ROWS,
    TableError,
    handed_over,
    import_rows,
    map_headers,
    plan_rows,
    read_table,
    report_csv,
)

SH = ZoneInfo("Asia/Shanghai")
CTX = Context()
HEADER = ["序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型", "交办时间"]
ROWS: list[list[Any]] = [
    [
        1,
        "X3MY202611001",
        "游仙区石马镇某某砖厂烟囱冒黑烟，周边村民晾的衣服都是灰。",
        "游仙区",
        "大气",
        datetime(2026, 11, 20, 9, 30),
    ],
    [
        2,
        "X3MY202611002",
        "涪城区青义镇某养殖场粪污直排小河，河水发黑发臭。",
        "绵阳市涪城区",
        "水、土壤",
        datetime(2026, 11, 20, 9, 30),
    ],
    [
        3,
        "X3MY202611003",
        "江油市某工地夜间施工噪声扰民，凌晨两点还在打桩。",
        "",
        "噪声",
        datetime(2026, 11, 20, 9, 30),
    ],
    [
        4,
        "X3MY202611004",
        "三台县某化工厂附近有刺鼻异味，晚上特别明显。",
        "三台县",
        "异味类",
        datetime(2026, 11, 20, 9, 30),
    ],
    [
        5,
        "X3MY202611002",
        "涪城区青义镇养殖场粪污直排（重复行）。",
        "涪城区",
        "水",
        datetime(2026, 11, 20, 9, 30),
    ],
    [6, "", "游仙区某路段渣土车抛洒扬尘。", "游仙区", "大气", datetime(2026, 11, 20, 9, 30)],
]


def xlsx(rows: list[list[Any]], header: list[str] = HEADER, title: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for r in rows:
        w.writerow([v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in r])
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (HEADER, {"seq": 0, "ref": 1, "text": 2, "district": 3, "types": 4, "handed_over": 5}),
        (
            [
                "序 号",
                "交办编号",
                "交办问题\n基本情况",
                "行政区域（县/市/区）",
                "污染类型",
                "备注",
                "批次",
            ],
            {"seq": 0, "ref": 1, "text": 2, "district": 3, "types": 4, "batch": 6},
        ),
        (
            ["信访编号", "举报内容", "所属区域", "问题类型"],
            {"ref": 0, "text": 1, "district": 2, "types": 3},
        ),
    ],
)
def test_header_variants_map_to_the_columns(headers: list[str], expected: dict[str, int]) -> None:
    assert map_headers(headers) == expected


@pytest.mark.parametrize("kind", ["xlsx", "csv-utf8", "csv-bom", "csv-gb18030"])
def test_the_table_reads_alike_from_every_format(kind: str) -> None:
    data = {
        "xlsx": lambda: xlsx(ROWS),
        "csv-utf8": lambda: csv_bytes(ROWS),
        "csv-bom": lambda: csv_bytes(ROWS, encoding="utf-8-sig"),
        "csv-gb18030": lambda: csv_bytes(ROWS, encoding="gb18030"),
    }[kind]()
    table = read_table("t.xlsx" if kind == "xlsx" else "t.csv", data)
    assert len(table.rows) == len(ROWS)
    assert table.cell(table.rows[0][1], "ref") == "X3MY202611001"
    assert "冒黑烟" in table.cell(table.rows[0][1], "text")
    mapped = dict(table.mapping_rows())
    assert mapped["受理编号"] == "受理编号" and mapped["交办时间"] == "交办时间"
    assert mapped["批次"] == "（表中没有）"


def test_a_title_row_above_the_header_gives_the_batch() -> None:
    title = "中央第三生态环境保护督察组群众信访举报转办情况一览表（第 3 批）"
    table = read_table("t.xlsx", xlsx(ROWS[:1], title=title))
    assert table.title_batch == "第3批" and len(table.rows) == 1


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("t.xlsx", b"PK\x03\x04 not really a workbook", "无法读取表格"),
        ("t.xlsx", b"", "无法读取表格"),
        ("t.pdf", b"%PDF-1.4", "只支持"),
        ("t.csv", b"\x00\x01\x02binary", "编码"),
        ("t.csv", "甲,乙,丙\n1,2,3\n".encode(), "表头"),
        ("t.csv", "序号,受理编号,行政区域\n1,A-1,涪城区\n".encode(), "缺少必需的列"),
        ("t.csv", "受理编号,交办问题基本情况\n".encode(), "没有数据行"),
    ],
)
def test_unreadable_tables_are_refused_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(TableError) as raised:
        read_table(name, data)
    assert reason in str(raised.value)


def test_a_huge_table_is_refused_before_anything_is_filed() -> None:
    rows = [[n, f"R{n}", "某厂冒黑烟", "涪城区", "大气", ""] for n in range(MAX_ROWS + 1)]
    with pytest.raises(TableError, match="上限"):
        read_table("t.csv", csv_bytes(rows))


def test_a_flood_of_blank_lines_is_refused() -> None:
    data = csv_bytes(ROWS[:1]) + b",,,,,\n" * (4 * MAX_ROWS + 5) + csv_bytes(ROWS[1:2])
    with pytest.raises(TableError, match="上限"):
        read_table("t.csv", data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 11, 20, 9, 30), datetime(2026, 11, 20, 9, 30, tzinfo=SH)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=SH)),
        ("2026/11/20 14:05", datetime(2026, 11, 20, 14, 5, tzinfo=SH)),
        ("2026年11月20日", datetime(2026, 11, 20, tzinfo=SH)),
    ],
)
def test_handover_times(value: Any, expected: datetime) -> None:
    assert handed_over(value, "Asia/Shanghai") == expected


def test_rows_are_checked_before_anything_is_filed(store: CaseStore) -> None:
    table = read_table("t.xlsx", xlsx(ROWS))
    plans = plan_rows(table, source="督察交办", store=store, ctx=CTX)
    assert store.count() == 0  # a dry run files nothing
    by_row = {p.row: p for p in plans}
    assert by_row[2].outcome == "added" and by_row[2].entry is not None
    assert by_row[2].entry.district == "游仙区" and by_row[2].entry.categories == ["大气"]
    assert by_row[2].entry.town == "石马镇"
    assert by_row[3].entry is not None and by_row[3].entry.categories == ["水", "土壤"]
    assert by_row[3].entry.district == "涪城区"
    # No district in the row: extraction finds 江油市 in the text, and the row is flagged.
    assert by_row[4].outcome == "attention" and by_row[4].entry is not None
    assert by_row[4].entry.district == "江油市" and "缺少行政区域" in by_row[4].reasons[0]
    # An unknown type is reported; the text's categories are used.
    assert by_row[5].outcome == "attention" and "异味类" in by_row[5].reasons[0]
    assert by_row[5].entry is not None and by_row[5].entry.categories == ["大气"]
    # A number repeated in the file, and a row without a number, are not filed.
    assert by_row[6].outcome == "skipped" and "第 3 行" in by_row[6].reasons[0]
    assert by_row[7].outcome == "skipped" and "缺少受理编号" in by_row[7].reasons[0]


def test_importing_files_each_row_once_with_the_sources_deadline(store: CaseStore) -> None:
    data = xlsx(ROWS)
    table = read_table("第3批.xlsx", data)
    plans = plan_rows(table, source="督察交办", store=store, ctx=CTX, batch="第3批")
    result = import_rows(
        table, plans, source="督察交办", store=store, ctx=CTX, actor="tester", batch="第3批"
    )
    assert result.counts() == {"total": 6, "added": 4, "existing": 0, "attention": 2, "skipped": 2}
    assert store.count() == 4
    issue = store.by_external_ref("督察交办", "X3MY202611001")
    assert issue is not None
    assert (issue.source, issue.channel, issue.batch) == ("督察交办", "staff", "第3批")
    assert issue.department and issue.district == "游仙区"  # routing applied
    assert issue.handed_over_at == datetime(2026, 11, 20, 9, 30, tzinfo=SH)
    pol = policy(Settings())
    due = calendar().add_working_days(datetime(2026, 11, 20).date(), pol.source_days["督察交办"])
    assert issue.handle_due is not None and issue.handle_due.astimezone(SH).date() == due
    run = ImportRuns(store).get(issue.import_run_id or 0)
    assert run is not None and (run.total, run.added, run.attention) == (6, 4, 4)
    assert run.file_sha256 == table.sha256 and run.actor == "tester"
    assert {r["ref"] for r in run.report} == {"X3MY202611003", "X3MY202611004", "X3MY202611002", ""}

    # A second import adds nothing, and says so.
    again_table = read_table("第3批.xlsx", data)
    again_plans = plan_rows(again_table, source="督察交办", store=store, ctx=CTX)
    assert {p.outcome for p in again_plans} == {"existing", "skipped"}
    again = import_rows(
        again_table, again_plans, source="督察交办", store=store, ctx=CTX, actor="t"
    )
    assert again.counts()["added"] == 0 and again.counts()["existing"] == 4
    assert store.count() == 4
    # The same numbers from another source are other items.
    other = plan_rows(again_table, source="部门移交", store=store, ctx=CTX)
    assert sum(p.outcome in ("added", "attention") for p in other) == 4


def test_the_report_is_csv_with_chinese_headers_and_no_formulas(store: CaseStore) -> None:
    rows = [[1, '=HYPERLINK("http://x")', "某厂冒黑烟", "火星区", "大气", ""]]
    table = read_table("t.csv", csv_bytes(rows))
    result = import_rows(
        table,
        plan_rows(table, source="其他", store=store, ctx=CTX),
        source="其他",
        store=store,
        ctx=CTX,
        actor="t",
    )
    text = report_csv(result.attention_rows())
    assert text.startswith("\ufeff行号,序号,受理编号,结果")
    assert "'=HYPERLINK" in text and "火星区" in text
    assert "已登记，需核对" in text
