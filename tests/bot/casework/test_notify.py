"""Status updates to the citizen: the outbox, retries with backoff, undelivered records."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.casework.models import Notification
from bot.casework.notify import Notifier, compose, outbox_for
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
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


def accepted(store: CaseStore, channel: str = "wechat", note: str | None = None) -> IssueView:
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
    notifier.enqueue(issue, issue.events[-1])
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
    notifier.enqueue(issue, issue.events[-1])
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
    issue = accepted(store)
    notifier.enqueue(issue, issue.events[-1])
    notifier.deliver_due()
    (row,) = rows(store)
    assert (row.state, row.attempts) == ("undelivered", 1)


def test_channel_down_is_retried_until_it_answers(store: CaseStore, channel: FakeChannel) -> None:
    dead = Notifier(
        store, rasa_url="http://127.0.0.1:9", token="tok", backoff_s=(0.0,), timeout_s=1
    )
    issue = accepted(store)
    dead.enqueue(issue, issue.events[-1])
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
    notifier.status_changed(issue, issue.events[-1])
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
