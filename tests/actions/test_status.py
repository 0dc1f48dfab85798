"""Status action: details only for the reporter, or for ticket + the phone used."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.status import ActionCheckStatus
from bot.casework.commands import CaseWork
from bot.casework.store import CaseStore
from bot.casework.throttle import Throttle
from bot.clock import utcnow
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
    assert "核对" in _text(d2) and "青义镇" not in _text(d2)

    d3 = CollectingDispatcher()
    await ActionCheckStatus(store).run(
        d3,
        user_turn("13812345678", "inform", form_active=False, sender_id="other", slots=pending),
        {},
    )
    assert "已登记" in _text(d3) and "青义镇" in _text(d3)


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


# -- no oracle for who reported (issue 14 §3) -------------------------------------------------------
RIGHT = "13812345678"
UNKNOWN = "HB-20200101-0001"


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def ask(
    store: CaseStore,
    text: str,
    sender: str,
    *,
    pending: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> str:
    """What the status action answers `sender` for `text` (a pending ticket: the phone turn)."""
    slots = {"query_pending": True, "query_ticket": pending} if pending else {}
    d = CollectingDispatcher()
    tracker = user_turn(text, "ask_status", form_active=False, sender_id=sender, slots=slots)
    await ActionCheckStatus(store, clock=clock).run(d, tracker, {})
    return _text(d)


def _reported(store: CaseStore) -> str:
    issue, _ = store.file(draft(reporter_sender_id="citizen-9", reporter_phone=RIGHT))
    return issue.ticket


async def test_guessing_the_phone_is_slowed_down(store: CaseStore) -> None:
    """Today: 25 wrong phones are answered "wrong phone", then the right one shows the status."""
    ticket = _reported(store)
    for n in range(25):
        await ask(store, f"查询 {ticket} 1390000{n:04d}", "stranger")
    answer = await ask(store, f"查询 {ticket} {RIGHT}", "stranger")
    assert ticket in answer and "青义镇" not in answer and "已登记" not in answer


async def test_a_few_typos_are_forgiven_and_the_delay_passes(store: CaseStore) -> None:
    ticket, clock = _reported(store), Clock()
    for wrong in ("13812345670", "13812345687", "13812345679"):
        assert "青义镇" not in await ask(store, f"查询 {ticket} {wrong}", "typo", clock=clock)
    assert "青义镇" in await ask(store, f"查询 {ticket} {RIGHT}", "typo", clock=clock)

    for n in range(4):  # four more misses from another conversation: now it has to wait
        await ask(store, f"查询 {ticket} 1390000{n:04d}", "guesser", clock=clock)
    waiting = await ask(store, f"查询 {ticket} {RIGHT}", "guesser", clock=clock)
    assert "青义镇" not in waiting and "分钟" in waiting
    clock.advance(minutes=2)
    assert "青义镇" in await ask(store, f"查询 {ticket} {RIGHT}", "guesser", clock=clock)


async def test_the_delays_grow(store: CaseStore) -> None:
    ticket, clock = _reported(store), Clock()
    guard = Throttle(store, clock=clock)
    waits = []
    for n in range(7):
        answer = await ask(store, f"查询 {ticket} 1390000{n:04d}", "guesser", clock=clock)
        assert "分钟" not in answer  # each guess came after the previous delay: each was checked
        waits.append(guard.wait_for("lookup_pair", f"{ticket}|guesser"))
        clock.advance(hours=12)
    assert waits[:3] == [timedelta(0)] * 3
    assert timedelta(0) < waits[3] < waits[4] < waits[5] < waits[6]


async def test_a_stranger_cannot_lock_the_reporter_out(store: CaseStore) -> None:
    """Ticket numbers are predictable: failures on a ticket never block the real reporter."""
    ticket = _reported(store)
    for n in range(30):
        await ask(store, f"查询 {ticket} 1390000{n:04d}", f"attacker-{n % 3}")
    own = await ask(store, f"查询 {ticket}", "citizen-9")  # the conversation that filed it
    assert "青义镇" in own
    assert "青义镇" in await ask(store, "我的举报怎么样了", "citizen-9")
    assert "青义镇" in await ask(store, f"查询 {ticket} 13900000000", "citizen-9")
    assert "青义镇" in await ask(store, f"查询 {ticket} {RIGHT}", "reporter-new-phone")


async def test_a_conversation_has_a_daily_cap(store: CaseStore) -> None:
    clock = Clock()
    tickets = [_reported(store) for _ in range(6)]
    for ticket in tickets[:5]:  # two misses per ticket: below every per-ticket delay
        for wrong in ("13900000001", "13900000002"):
            await ask(store, f"查询 {ticket} {wrong}", "sweeper", clock=clock)
    capped = await ask(store, f"查询 {tickets[5]} {RIGHT}", "sweeper", clock=clock)
    assert "青义镇" not in capped and "明天" in capped
    assert "青义镇" in await ask(store, f"查询 {tickets[5]} {RIGHT}", "someone-else", clock=clock)
    clock.advance(hours=25)
    assert "青义镇" in await ask(store, f"查询 {tickets[5]} {RIGHT}", "sweeper", clock=clock)


async def test_many_failures_on_one_ticket_alert_the_office(
    store: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = _reported(store)
    caplog.set_level(logging.INFO)
    for n in range(12):  # a different conversation each time: no per-conversation limit bites
        await ask(store, f"查询 {ticket} 1390000{n:04d}", f"wx-openid-rotating-{n}")
    alerts = Throttle(store).events(alerts_only=True)
    assert [(a.kind, a.subject) for a in alerts] == [("lookup_alert", ticket)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(ticket in w for w in warnings)
    assert not any("1390000" in w or "wx-openid" in w for w in warnings)


async def test_every_failure_and_refusal_is_audited(store: CaseStore) -> None:
    ticket = _reported(store)
    for n in range(5):
        await ask(store, f"查询 {ticket} 1390000{n:04d}", "wx-openid-o6_bmjrPTlm6_2s")
    kinds = [e.kind for e in Throttle(store).events()]
    assert kinds.count("lookup_failed") == 4 and kinds.count("lookup_refused") == 1
    for event in Throttle(store).events():
        assert event.subject == ticket
        assert "o6_bmjrPTlm6_2s" not in (event.source or "")  # the conversation is masked
        assert "1390000" not in str(event)


async def test_unknown_ticket_and_wrong_phone_get_the_same_answer(store: CaseStore) -> None:
    """Today: "no such ticket" for one and "wrong phone" for the other tells a guesser which."""
    ticket = _reported(store)

    def same(a: str, b: str) -> None:
        assert a.replace(UNKNOWN, "T") == b.replace(ticket, "T")

    same(await ask(store, f"查询 {UNKNOWN}", "s1"), await ask(store, f"查询 {ticket}", "s2"))
    same(
        await ask(store, "13900000000", "s1", pending=UNKNOWN),
        await ask(store, "13900000000", "s2", pending=ticket),
    )
    same(
        await ask(store, f"查询 {UNKNOWN} 13900000000", "s3"),
        await ask(store, f"查询 {ticket} 13900000000", "s4"),
    )


async def test_a_view_by_phone_is_audited_and_the_reporters_own_is_not(store: CaseStore) -> None:
    ticket = _reported(store)
    await ask(store, f"查询 {ticket}", "citizen-9")
    assert Throttle(store).events() == []
    await ask(store, f"查询 {ticket} {RIGHT}", "wx-openid-o6_bmjrPTlm6_2s")
    [shown] = Throttle(store).events()
    assert (shown.kind, shown.subject, shown.source) == ("lookup_shown", ticket, "wx-***2s")
