"""Status action: details only for the reporter, or for ticket + the phone used."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.status import ActionCheckStatus
from bot.casework.commands import CaseWork
from bot.casework.store import CaseStore
from tests.actions.conftest import user_turn
from tests.factories import draft


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _text(d: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in d.messages)


async def test_reporter_sees_own_issues(store: CaseStore, dispatcher: CollectingDispatcher) -> None:
    issue, _ = store.file(draft(reporter_sender_id="citizen-9"))
    tracker = user_turn("我的举报怎么样了", "ask_status", form_active=False, sender_id="citizen-9")
    events = await ActionCheckStatus(store).run(dispatcher, tracker, {})
    text = _text(dispatcher)
    assert issue.ticket in text and "已登记" in text and "青义镇" in text
    assert _slots(events)["query_pending"] is False


async def test_status_reflects_a_staff_change(
    store: CaseStore, dispatcher: CollectingDispatcher
) -> None:
    issue, _ = store.file(draft(reporter_sender_id="citizen-9"))
    CaseWork(store).change_status(
        issue.ticket, "accepted", actor="staff-1", note="已受理，将于3个工作日内现场核查"
    )
    tracker = user_turn(
        f"查询 {issue.ticket}", "ask_status", form_active=False, sender_id="citizen-9"
    )
    await ActionCheckStatus(store).run(dispatcher, tracker, {})
    assert "已受理" in _text(dispatcher) and "现场核查" in _text(dispatcher)


async def test_stranger_needs_the_phone(store: CaseStore) -> None:
    issue, _ = store.file(draft(reporter_sender_id="citizen-9", reporter_phone="13812345678"))
    d1 = CollectingDispatcher()
    ev = await ActionCheckStatus(store).run(
        d1,
        user_turn(f"查询 {issue.ticket}", "ask_status", form_active=False, sender_id="other"),
        {},
    )
    assert "手机号" in _text(d1) and issue.ticket in _text(d1)
    assert "青义镇" not in _text(d1)
    assert _slots(ev) == {"query_pending": True, "query_ticket": issue.ticket}

    d2 = CollectingDispatcher()
    pending = {"query_pending": True, "query_ticket": issue.ticket}
    await ActionCheckStatus(store).run(
        d2,
        user_turn("13900000000", "inform", form_active=False, sender_id="other", slots=pending),
        {},
    )
    assert "不一致" in _text(d2) and "青义镇" not in _text(d2)

    d3 = CollectingDispatcher()
    await ActionCheckStatus(store).run(
        d3,
        user_turn("13812345678", "inform", form_active=False, sender_id="other", slots=pending),
        {},
    )
    assert "已登记" in _text(d3) and "青义镇" in _text(d3)


async def test_unknown_ticket(store: CaseStore, dispatcher: CollectingDispatcher) -> None:
    await ActionCheckStatus(store).run(
        dispatcher, user_turn("查询 HB-20200101-0001", "ask_status", form_active=False), {}
    )
    assert "没有查到编号为 HB-20200101-0001" in _text(dispatcher)


async def test_no_reports_yet(store: CaseStore, dispatcher: CollectingDispatcher) -> None:
    await ActionCheckStatus(store).run(
        dispatcher, user_turn("进度怎么样", "ask_status", form_active=False), {}
    )
    assert "没有查到您提交过的举报" in _text(dispatcher)


async def test_database_down_gets_an_apology(tmp_path, dispatcher: CollectingDispatcher) -> None:
    broken = CaseStore.from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    events = await ActionCheckStatus(broken).run(
        dispatcher, user_turn("我的举报怎么样了", "ask_status", form_active=False), {}
    )
    assert "暂时繁忙" in _text(dispatcher)
    assert events  # answered, so the failure policy stays quiet
