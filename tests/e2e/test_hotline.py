"""End to end: hotline transcripts through the Rasa server's hotline channel, filed in the ledger.

Starts the trained Rasa server, action server and app (tests/e2e/conftest.py); the channel is
reached over HTTP with the stack's internal token, like the console page and the batch import.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.ops.stack import PROJECT_ROOT, Stack
from bot.web.hotline_client import HotlineClient, HotlineReply

pytestmark = pytest.mark.e2e

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "hotline"


def _case(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client(stack: Stack) -> HotlineClient:
    token = stack.procs["rasa"].env["GW_INTERNAL_TOKEN"]
    return HotlineClient(stack.rasa_url, token)


def _new(client: HotlineClient, name: str, call_id: str | None = None) -> tuple[str, HotlineReply]:
    case = _case(name)
    call_id = call_id or f"e2e-{uuid.uuid4().hex[:10]}"
    reply = client.new_call(
        call_id,
        case["transcript"],
        caller_number=case["caller_number"],
        agent_id=case["agent_id"],
        started_at=case["started_at"],
    )
    assert reply.ok, reply.body
    return call_id, reply


def _issue(stack: Stack, call_id: str) -> dict[str, Any]:
    assert stack.database_url and stack.database_url.startswith("sqlite:///")
    path = stack.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT * FROM issues WHERE client_ref = ?", (f"hotline:{call_id}",)
        ).fetchall()
    assert len(rows) == 1, f"{len(rows)} issues for call {call_id}"
    return dict(rows[0])


def test_complete_call_drafts_every_field_then_files_once(
    stack: Stack, client: HotlineClient
) -> None:
    call_id, reply = _new(client, "01_labelled_brickworks")
    body = reply.body
    assert body["status"] == "confirm" and body["missing"] == [], body
    draft = body["draft"]
    assert "涪城区青义镇" in draft["area"]["value"] and draft["polluter"]["value"] == "鑫达砖厂"
    assert draft["polluter"]["sources"][0]["speaker"] == "caller"
    assert "鑫达砖厂" in draft["polluter"]["sources"][0]["sentence"]
    assert draft["contact"]["value"] == "138****5678" and draft["contact"]["by"] == "call"
    assert "13812345678" not in json.dumps(body, ensure_ascii=False)
    assert any("对吗" in m["text"] for m in body["messages"])

    filed = client.follow_up(call_id, "确认").body
    assert filed["status"] == "filed" and filed["ticket"], filed
    issue = _issue(stack, call_id)
    assert issue["ticket"] == filed["ticket"]
    assert (issue["channel"], issue["call_id"], issue["agent_id"]) == ("hotline", call_id, "A1024")
    assert issue["reporter_phone"] == "13812345678" and not issue["anonymous"]
    assert issue["town"] == "青义镇" and issue["polluter"] == "鑫达砖厂"
    assert issue["call_started_at"] is not None
    assert "坐席：您好" in issue["original_text"]  # the whole transcript is kept

    # The same call posted again (double click, export re-imported): the same ticket, no new issue.
    again = _new(client, "01_labelled_brickworks", call_id)[1].body
    assert again["status"] == "filed" and again["ticket"] == filed["ticket"]
    assert client.follow_up(call_id, "确认").body.get("ticket") in (None, filed["ticket"])
    _issue(stack, call_id)  # still exactly one


def test_missing_fields_are_asked_and_answered_in_the_same_call(
    stack: Stack, client: HotlineClient
) -> None:
    call_id, reply = _new(client, "08_missing_place")
    body = reply.body
    missing = [m["field"] for m in body["missing"]]
    assert missing[:2] == ["location", "area"], body["missing"]
    assert "哪里" in body["missing"][0]["question"]
    assert any("哪里" in m["text"] for m in body["messages"])  # the bot asks the first gap
    assert "description" in body["draft"] and "categories" in body["draft"]

    body = client.follow_up(call_id, "游仙区石马镇新桥村二组大路边").body
    assert "location" not in [m["field"] for m in body["missing"]], body
    assert body["draft"]["location"]["by"] == "agent"
    for _ in range(4):
        if body["status"] == "confirm":
            break
        body = client.follow_up(call_id, "没有").body
    assert body["status"] == "confirm", body
    filed = client.follow_up(call_id, "确认").body
    assert filed["ticket"]
    assert _issue(stack, call_id)["town"] == "石马镇"


def test_anonymous_caller_and_correction(stack: Stack, client: HotlineClient) -> None:
    _, reply = _new(client, "02_ab_timestamps_dialect_pig_farm")
    draft = reply.body["draft"]
    assert draft["contact"]["value"] == "匿名"
    assert "不想留名" in draft["contact"]["sources"][0]["sentence"]
    call_id2, reply2 = _new(client, "05_correction_mid_call")
    assert "石马镇" in reply2.body["draft"]["area"]["value"]
    assert reply2.body["draft"]["area"]["note"] == "来电人更正"
    # The agent corrects a field in the same conversation.
    body = client.follow_up(call_id2, "时间是今天下午四点").body
    assert "下午四点" in body["draft"]["time_text"]["value"], body
    assert body["draft"]["time_text"]["by"] == "agent"


def test_two_problems_warn_and_non_environmental_call_is_transferred(
    stack: Stack, client: HotlineClient
) -> None:
    _, two = _new(client, "06_two_problems")
    assert "multiple_problems" in [w["code"] for w in two.body["warnings"]]
    assert "油烟" not in two.body["draft"]["categories"]["value"]
    call_id, other = _new(client, "07_not_environmental")
    assert other.body["status"] == "transfer" and other.body["ticket"] is None
    assert "物业" in other.body["transfer"]["reason"]
    assert client.follow_up(call_id, "确认").status_code == 404  # nothing was started


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"call_id": "bad-1", "transcript": ""}, "empty"),
        (
            {"call_id": "bad-2", "transcript": "Hello, the factory is smoking again tonight."},
            "not_chinese",
        ),
        ({"call_id": "bad-3", "transcript": "来电人：" + "冒黑烟。" * 6000}, "too_long"),
        ({"call_id": "bad-4", "transcript": "来电人：\x00\x01\x02冒黑烟"}, "binary"),
        ({"call_id": "bad 5", "transcript": "来电人：冒黑烟。"}, "bad_call_id"),
        ({"call_id": "bad-6", "message": "确认"}, "unknown_call"),
    ],
)
def test_bad_input_gets_a_reason_and_files_nothing(
    stack: Stack, client: HotlineClient, payload: dict[str, Any], code: str
) -> None:
    reply = client.post(payload)
    assert reply.status_code in (400, 404), reply.body
    assert reply.error and reply.error["code"] == code
    assert reply.error["message"] and reply.error["message_en"]
    with closing(sqlite3.connect(stack.database_url.removeprefix("sqlite:///"))) as db:  # type: ignore[union-attr]
        assert (
            db.execute(
                "SELECT count(*) FROM issues WHERE client_ref = ?",
                (f"hotline:{payload['call_id']}",),
            ).fetchone()[0]
            == 0
        )


def test_binary_body_and_missing_token_are_refused(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/hotline/webhook"
    token = stack.procs["rasa"].env["GW_INTERNAL_TOKEN"]
    r = httpx.post(url, content=b"\x89PNG\r\n\x1a\n\x00\x00", headers={"X-GW-Token": token})
    assert r.status_code == 400 and r.json()["error"]["code"] == "binary"
    r = httpx.post(url, json={"call_id": "x", "transcript": "来电人：冒黑烟。"})
    assert r.status_code == 403


def test_batch_import_end_to_end(stack: Stack, tmp_path: Path) -> None:
    run_id = uuid.uuid4().hex[:6]
    export = tmp_path / "export.jsonl"
    lines = []
    for name in (
        "01_labelled_brickworks",
        "03_stt_no_punctuation_construction_noise",
        "07_not_environmental",
        "08_missing_place",
    ):
        case = _case(name)
        case["call_id"] = f"batch-{run_id}-{name[:2]}"
        case.pop("expect")
        lines.append(json.dumps(case, ensure_ascii=False))
    lines.append(json.dumps({"call_id": f"batch-{run_id}-en", "transcript": "Just some English."}))
    lines.append("{not json")
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "attention.csv"
    env = {
        **os.environ,
        "GW_RASA_URL": stack.rasa_url,
        "GW_INTERNAL_TOKEN": stack.procs["rasa"].env["GW_INTERNAL_TOKEN"],
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.ops.hotline_import", str(export), "--report", str(report)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    first = run()
    assert first.returncode == 1, first.stderr
    assert "filed 2, needs attention 2, rejected 2" in first.stdout, first.stdout
    assert "导入热线来电" in first.stderr  # the progress bar
    rows = report.read_text(encoding="utf-8-sig")
    assert f"batch-{run_id}-07" in rows and "建议转办" in rows
    assert f"batch-{run_id}-08" in rows and "地点" in rows
    assert "not_chinese" not in rows and "不是中文" in rows
    ticket = _issue(stack, f"batch-{run_id}-01")["ticket"]
    assert _issue(stack, f"batch-{run_id}-03")["call_id"] == f"batch-{run_id}-03"

    second = run()  # re-running the same export files nothing twice
    assert "filed 2, needs attention 2, rejected 2" in second.stdout, second.stdout
    assert _issue(stack, f"batch-{run_id}-01")["ticket"] == ticket
