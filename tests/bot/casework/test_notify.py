"""Status updates to the citizen: the transactional outbox, retries with backoff, undelivered
records, and what the console is told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.casework import notify
from bot.casework.commands import CaseWork
from bot.casework.models import CallbackTask, Notification
from bot.casework.notify import Changed, Notice, Notifier, compose, outbox_for, status_flash
from bot.casework.store import CaseStore
from bot.exceptions import StoreUnavailable
from tests.factories import draft, quiet_work


class FakeChannel:
    """Stands in for the Rasa server's /webhooks/wechat/notify: scripted answers, recorded calls."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.calls: list[tuple[dict[str, Any], str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.calls.append((body, self.headers.get("X-GW-Token")))
                status, answer = (
                    fake.answers.pop(0) if fake.answers else (200, {"via": "customer_service"})
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def channel() -> Iterator[FakeChannel]:
    fake = FakeChannel()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def notifier(store: CaseStore, channel: FakeChannel) -> Iterator[Notifier]:
    n = Notifier(store, rasa_url=channel.url, token="tok", backoff_s=(0.0, 0.0), poll_s=0.1)
    yield n
    n.stop()


def rows(store: CaseStore) -> list[Notification]:
    with Session(store.engine) as s:
        return list(s.execute(select(Notification).order_by(Notification.id)).scalars())


def accepted(store: CaseStore, channel: str = "wechat", note: str | None = None) -> Changed:
    """A filed issue, accepted by staff: the acceptance's message is in the outbox, unsent."""
    issue, _ = store.file(draft(channel=channel, reporter_sender_id="o-citizen"))
    return quiet_work(store).change_status(issue.ticket, "accepted", actor="staff:test", note=note)


def test_message_text_uses_the_staff_note_or_the_status_line(store: CaseStore) -> None:
    issue = accepted(store, note="已安排执法人员明天上午现场核查。")
    text, data = compose(issue, issue.events[-1])
    assert issue.ticket in text and "已受理" in text and "明天上午现场核查" in text
    assert data["ticket"] == issue.ticket and data["status"] == "已受理"
    assert "13812345678" not in text + json.dumps(data, ensure_ascii=False)


def test_wechat_issue_is_delivered_through_the_channel(
    store: CaseStore, notifier: Notifier, channel: FakeChannel
) -> None:
    issue = accepted(store)
    assert notifier.deliver_due() == 1
    ((body, token),) = channel.calls
    assert body["recipient"] == "o-citizen" and body["ticket"] == issue.ticket
    assert token == "tok"
    (row,) = rows(store)
    assert (row.state, row.via, row.attempts) == ("sent", "customer_service", 1)
    assert notifier.deliver_due() == 0, "a sent message is never sent again"


def test_failures_are_retried_then_recorded_as_undelivered(
    store: CaseStore, notifier: Notifier, channel: FakeChannel
) -> None:
    channel.answers = [(502, {"error": "WeChat error -1", "retry": True})] * 3
    issue = accepted(store)
    for _ in range(3):
        notifier.deliver_due()
    (row,) = rows(store)
    assert (row.state, row.attempts) == ("undelivered", 3)
    assert "WeChat error -1" in (row.last_error or "")
    assert outbox_for(store, issue.id)[0]["state"] == "undelivered"


def test_a_permanent_refusal_is_not_retried(
    store: CaseStore, notifier: Notifier, channel: FakeChannel
) -> None:
    channel.answers = [(422, {"error": "citizen unsubscribed", "retry": False})]
    accepted(store)
    notifier.deliver_due()
    (row,) = rows(store)
    assert (row.state, row.attempts) == ("undelivered", 1)


def test_channel_down_is_retried_until_it_answers(store: CaseStore, channel: FakeChannel) -> None:
    dead = Notifier(
        store, rasa_url="http://127.0.0.1:9", token="tok", backoff_s=(0.0,), timeout_s=1
    )
    accepted(store)
    dead.deliver_due()
    (row,) = rows(store)
    assert row.state == "pending" and "unreachable" in (row.last_error or "")
    alive = Notifier(store, rasa_url=channel.url, token="tok", backoff_s=(0.0,))
    assert alive.deliver_due() == 1
    assert rows(store)[0].state == "sent"


@pytest.mark.parametrize("issue_channel", ["rest", "hotline"])
def test_other_channels_stay_pending_in_the_outbox(
    store: CaseStore, notifier: Notifier, channel: FakeChannel, issue_channel: str
) -> None:
    issue = accepted(store, channel=issue_channel)
    notifier.status_changed(issue, issue.events[-1])  # already queued: not written twice
    assert notifier.deliver_due() == 0
    (row,) = rows(store)
    assert row.state == "pending" and row.channel == issue_channel
    assert channel.calls == []


def test_status_changed_never_raises_and_the_worker_delivers(
    store: CaseStore, notifier: Notifier, channel: FakeChannel
) -> None:
    issue = accepted(store)
    notifier.status_changed(issue, issue.events[-1])  # returns at once; the worker sends
    deadline = threading.Event()
    for _ in range(50):
        if channel.calls:
            break
        deadline.wait(0.1)
    assert len(channel.calls) == 1
    broken = Notifier.__new__(Notifier)  # no database at all: still no exception
    broken.status_changed(issue, issue.events[-1])


# -- the transactional outbox -------------------------------------------------------------------


def _status_and_events(store: CaseStore, ticket: str) -> tuple[str, list[str]]:
    issue = store.get(ticket)
    assert issue is not None
    return issue.status, [e.to_status for e in issue.events]


def test_a_failure_writing_the_message_rolls_the_status_change_back(
    store: CaseStore, notifier: Notifier, channel: FakeChannel
) -> None:
    """Before: the change was committed, the outbox row written afterwards and its failure only
    logged, while the console said 「已通知举报人」: a change no citizen would ever hear of."""
    issue, _ = store.file(draft(channel="wechat", reporter_sender_id="o-citizen"))
    with store.engine.begin() as conn:  # the outbox cannot be written (a table gone, a full disk)
        conn.execute(text("ALTER TABLE notifications RENAME TO notifications_away"))
    work = CaseWork(store, notifier=notifier.status_changed)
    with pytest.raises(StoreUnavailable):
        work.accept(issue.ticket, actor="staff:test", note="已受理，将尽快核查。")
    assert _status_and_events(store, issue.ticket) == ("received", ["received"])
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE notifications_away RENAME TO notifications"))
    # With the outbox back, the same change goes through, message and all.
    changed = work.accept(issue.ticket, actor="staff:test")
    assert changed.status == "accepted" and [r.to_status for r in rows(store)] == ["accepted"]


def test_a_failure_later_in_the_change_takes_its_message_along(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message is written inside the change's transaction, before the hotline call-back
    task: when that fails, no message announces a change that never happened."""
    issue, _ = store.file(draft(channel="hotline", reporter_sender_id=None))

    def broken(*_: object) -> str:
        raise RuntimeError("call-back script template broken")

    monkeypatch.setattr(notify, "callback_script", broken)
    with pytest.raises(RuntimeError):
        quiet_work(store).accept(issue.ticket, actor="staff:test")
    assert _status_and_events(store, issue.ticket) == ("received", ["received"])
    assert rows(store) == []


@pytest.mark.parametrize(
    ("issue_channel", "sender", "push", "says"),
    [
        ("wechat", "o-citizen", True, "微信发送队列"),
        ("hotline", "hotline:call-1", False, "回访任务"),
        ("rest", "web-1", False, "查询进度时即可看到"),
        ("open311", None, False, "Open311"),
        ("staff", None, False, "登记的联系方式"),
        ("wechat", None, None, "没有可以通知的举报人"),
    ],
)
def test_the_command_says_which_message_it_queued(
    store: CaseStore, issue_channel: str, sender: str | None, push: bool | None, says: str
) -> None:
    issue, _ = store.file(draft(channel=issue_channel, reporter_sender_id=sender))
    changed = quiet_work(store).accept(issue.ticket, actor="staff:test")
    flash = status_flash(changed, "已受理")
    assert flash.startswith("状态已更新为“已受理”") and says in flash, flash
    assert "已通知举报人" not in flash, "the console never claims a delivery it has not seen"
    if push is None:
        assert changed.notices == () and rows(store) == []
        return
    assert changed.notices == (Notice(ticket=issue.ticket, channel=issue_channel, push=push),)
    (row,) = rows(store)
    assert (row.state, row.to_status, row.created_at) == (
        "pending",
        "accepted",
        changed.events[-1].at,
    )
    assert (row.next_attempt_at is not None) is push


def test_a_hotline_change_queues_the_message_and_the_call_back_together(store: CaseStore) -> None:
    issue, _ = store.file(draft(channel="hotline", reporter_sender_id=None))
    quiet_work(store).accept(issue.ticket, actor="staff:test")
    with Session(store.engine) as s:
        assert s.execute(select(func.count()).select_from(CallbackTask)).scalar_one() == 1
    assert [r.channel for r in rows(store)] == ["hotline"]


def test_merged_reporters_are_counted_in_what_the_console_says(store: CaseStore) -> None:
    parent, _ = store.file(draft(channel="wechat", reporter_sender_id="o-a"))
    child, _ = store.file(draft(channel="rest", reporter_sender_id="web-b"))
    work = quiet_work(store)
    work.merge(child.ticket, parent.ticket, actor="staff:test")
    changed = work.accept(parent.ticket, actor="staff:test")
    assert {(n.ticket, n.channel) for n in changed.notices} == {
        (parent.ticket, "wechat"),
        (child.ticket, "rest"),
    }
    assert changed.notice() == Notice(ticket=parent.ticket, channel="wechat", push=True)
    assert "另外 1 件" in status_flash(changed, "已受理")


def test_a_change_is_announced_once_however_often_the_notifier_is_called(
    store: CaseStore, notifier: Notifier, channel: FakeChannel
) -> None:
    issue = accepted(store)
    for _ in range(3):
        notifier.status_changed(issue, issue.events[-1])
    assert len(rows(store)) == 1
    notifier.deliver_due()  # races the worker the calls woke: one of them sends it
    for _ in range(50):
        if channel.calls:
            break
        threading.Event().wait(0.1)
    threading.Event().wait(0.3)
    assert len(channel.calls) == 1
