"""Feedback action: 满意 closes, 不满意 reopens, only for the reporter's resolved issues."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionRecordFeedback
from bot.casework.commands import CaseWork
from bot.casework.store import CaseStore
from tests.actions.conftest import user_turn
from tests.factories import draft


def _resolved(store: CaseStore, sender: str) -> str:
    issue, _ = store.file(draft(reporter_sender_id=sender))
    work = CaseWork(store, notifier=lambda *_: None)
    work.accept(issue.ticket, actor="office")
    work.route(issue.ticket, department="生态环境局", district="涪城区", actor="office")
    work.change_status(issue.ticket, "in_progress", actor="dept")
    work.resolve(issue.ticket, result="已责令停产整改", actor="office")
    return issue.ticket


def _text(d: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in d.messages)


@pytest.mark.parametrize(
    ("intent", "text", "status", "reply"),
    [
        ("feedback_satisfied", "满意", "closed", "感谢您的评价"),
        ("feedback_unsatisfied", "还是很臭，不满意", "reopened", "重新交办"),
    ],
)
async def test_feedback_on_the_resolved_issue(
    store: CaseStore,
    monkeypatch: pytest.MonkeyPatch,
    intent: str,
    text: str,
    status: str,
    reply: str,
) -> None:
    monkeypatch.setattr("bot.casework.notify.status_changed", lambda *_: None)
    ticket = _resolved(store, "citizen-5")
    d = CollectingDispatcher()
    events: list[dict[str, Any]] = await ActionRecordFeedback(store).run(
        d, user_turn(text, intent, form_active=False, sender_id="citizen-5"), {}
    )
    issue = store.get(ticket)
    assert issue is not None and issue.status == status
    assert reply in _text(d) and ticket in _text(d)
    assert events == [
        {"event": "slot", "timestamp": None, "name": "feedback_ticket", "value": ticket}
    ]


async def test_no_feedback_for_someone_elses_issue(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.casework.notify.status_changed", lambda *_: None)
    ticket = _resolved(store, "citizen-5")
    d = CollectingDispatcher()
    await ActionRecordFeedback(store).run(
        d,
        user_turn(f"满意 {ticket}", "feedback_satisfied", form_active=False, sender_id="stranger"),
        {},
    )
    assert "没有等待您评价" in _text(d)
    issue = store.get(ticket)
    assert issue is not None and issue.status == "resolved"
