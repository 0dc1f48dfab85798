"""End to end: a citizen reports over REST, the issue lands in the ledger, status comes back.

Starts the trained Rasa server, the action server and the app as separate processes (bot.ops.stack).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import httpx
import pytest

from bot.ops.stack import Stack
from tests.e2e.conftest import Chat

pytestmark = pytest.mark.e2e

TICKET_RE = re.compile(r"HB-\d{8}-\d{4}")


def _ticket(text: str) -> str:
    m = TICKET_RE.search(text)
    assert m, f"no ticket number in the reply: {text!r}"
    return m.group(0)


def _open311(stack: Stack, ticket: str) -> dict:
    r = httpx.get(f"{stack.app_url}/open311/v2/requests/{ticket}.json", timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body) == 1
    return body[0]


def test_full_report_then_status_query(stack: Stack, chat: Chat) -> None:
    assert "举报" in chat.say("你好")
    assert "描述" in chat.say("我要举报")
    # the problem named, the bot asks whether there is more before it asks where
    assert "还有什么问题" in chat.say("有个厂房的烟囱冒黑烟，味道呛得很")
    assert "哪里" in chat.say("没有了")
    reply = chat.say("涪城区青义镇商家村三组")
    assert "什么时候" in reply, chat.transcript()
    assert "哪家单位" in chat.say("每天晚上十点以后")
    assert "证据" in chat.say("不清楚")
    assert "手机" in chat.say("我拍了几张照片，能看到烟囱冒黑烟")
    # an answer with no number and no 匿名: the question comes back saying how to write one
    assert "没能识别出手机号码" in chat.say("138"), chat.transcript()
    summary = chat.say("13812345678")
    assert "对吗" in summary and "青义镇" in summary and "大气" in summary, chat.transcript()
    assert "138****5678" in summary and "13812345678" not in summary
    filed = chat.say("确认")
    ticket = _ticket(filed)

    issue = _open311(stack, ticket)
    assert issue["service_request_id"] == ticket
    assert issue["status"] == "open"
    assert issue["service_code"] == "air"
    assert "黑烟" in issue["description"]
    assert "涪城区" in issue["address"] and "青义镇" in issue["address"]
    assert "13812345678" not in str(issue)

    status = chat.say("我的举报怎么样了")
    assert ticket in status and "已登记" in status, status
    assert ticket in chat.say(f"查询 {ticket}")

    stranger = Chat(stack)
    assert "手机号" in stranger.say(f"查询 {ticket}")
    assert "不一致" in stranger.say("13900000000")
    assert "手机号" in stranger.say(f"查询 {ticket}")
    detail = stranger.say("13812345678")
    assert ticket in detail and "已登记" in detail, stranger.transcript()


def test_one_shot_report_asks_only_what_is_missing(stack: Stack, chat: Chat) -> None:
    first = chat.say("游仙区石马镇的鑫达砖厂每天晚上冒浓烟，呛得人睡不着")
    assert "大气" in first and "还有什么问题" in first, chat.transcript()
    for question in ("描述", "在哪里", "什么时候", "哪家单位"):
        assert question not in first
    assert "证据" in chat.say("没有了"), chat.transcript()
    assert "手机" in chat.say("没有")
    summary = chat.say("匿名")
    assert "石马镇" in summary and "鑫达砖厂" in summary and "匿名" in summary, chat.transcript()
    ticket = _ticket(chat.say("确认"))
    issue = _open311(stack, ticket)
    assert "游仙区" in issue["address"]


def test_an_answer_that_is_not_ours_ends_the_report_unfiled(stack: Stack, chat: Chat) -> None:
    assert "描述" in chat.say("我要投诉一个事情")
    reply = chat.say("我们楼的物业乱收费，电梯坏了几个月也不修")
    assert "12345" in reply and "没有登记" in reply, chat.transcript()
    assert "描述" not in reply and "对吗" not in reply, chat.transcript()
    # the next message is a new start: a real problem is taken as a report
    again = chat.say("还有就是楼下饭馆的油烟直接往我们窗户上排")
    assert "油烟" in again and "还有什么问题" in again, chat.transcript()
    assert TICKET_RE.search(again) is None


def test_correction_and_cancel(stack: Stack, chat: Chat) -> None:
    chat.say("安州区花荄镇有个养猪场把粪水排到沟里，臭得很")
    chat.say("没有了")
    chat.say("最近一个月")
    chat.say("不知道")
    chat.say("没有")
    summary = chat.say("13912345678")
    assert "花荄镇" in summary, chat.transcript()
    corrected = chat.say("不对，地点是安州区秀水镇")
    assert "秀水镇" in corrected and "对吗" in corrected, chat.transcript()
    assert "取消" in chat.say("取消")
    other = Chat(stack, chat.sender)
    assert "没有查到" in other.say("我的举报怎么样了")


def test_conversation_survives_a_rasa_restart(stack: Stack, chat: Chat) -> None:
    chat.say("我要举报")
    chat.say("小区后面有人焚烧垃圾，烟很大")
    assert "什么时候" in chat.say("涪城区城郊街道"), chat.transcript()
    stack.restart("rasa")
    assert "哪家单位" in chat.say("每天傍晚"), chat.transcript()
    chat.say("不清楚")
    chat.say("没有")
    summary = chat.say("匿名")
    assert "焚烧" in summary and "每天傍晚" in summary, chat.transcript()
    _ticket(chat.say("确认"))


def test_confirmed_report_survives_a_dead_action_server(stack: Stack, chat: Chat) -> None:
    chat.say("江油市太平镇有人往河里倒垃圾")
    chat.say("今天早上")
    chat.say("不清楚")
    chat.say("没有")
    assert "对吗" in chat.say("匿名"), chat.transcript()
    stack.stop("actions")
    try:
        busy = chat.say("确认")
        assert "没有提交成功" in busy and "不会丢失" in busy, chat.transcript()
    finally:
        stack.start("actions")
    ticket = _ticket(chat.say("确认"))
    assert "太平镇" in _open311(stack, ticket)["address"]
    # Asking again files nothing new: the same report keeps its one ticket.
    assert ticket in chat.say("我的举报怎么样了")


def test_confirmed_report_survives_a_locked_database(stack: Stack, chat: Chat) -> None:
    assert "还有什么问题" in chat.say("高新区普明街道的工地半夜还在施工，吵得睡不着觉"), (
        chat.transcript()
    )
    assert "哪家单位" in chat.say("没有了"), chat.transcript()
    chat.say("不清楚")
    chat.say("没有")
    assert "对吗" in chat.say("匿名"), chat.transcript()
    db_path = stack.database_url.removeprefix("sqlite:///")  # type: ignore[union-attr]
    with closing(sqlite3.connect(db_path, timeout=1, isolation_level=None)) as conn:
        conn.execute("BEGIN EXCLUSIVE")
        try:
            busy = chat.say("确认")
        finally:
            conn.execute("ROLLBACK")
    assert "没有提交成功" in busy, chat.transcript()
    ticket = _ticket(chat.say("确认"))
    issue = _open311(stack, ticket)
    assert issue["service_code"] == "noise"


def test_bad_input_gets_a_clear_answer(stack: Stack, chat: Chat) -> None:
    assert "没太明白" in chat.say("今天股票涨了没有")
    huge = "我要举报" + "污水" * 20000
    assert chat.say(huge).strip(), "a huge message must get an answer"
    r = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": chat.sender, "message": ""},
        timeout=30,
    )
    assert r.status_code == 200
    assert httpx.get(f"{stack.app_url}/healthz", timeout=5).json()["database"] is True
