"""The outbox sender as a process of its own (bot.casework.sender): rows are claimed (FOR UPDATE
SKIP LOCKED on PostgreSQL, a lease on SQLite), several senders deliver each row once, a sender
killed mid-delivery loses nothing, and nothing in the app's process starts a sender thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.casework import notify
from bot.casework.models import Notification, utcnow
from bot.casework.notify import LEASE_S, Notifier
from bot.casework.store import CaseStore
from bot.config import PROJECT_ROOT
from tests.bot.casework.test_notify import FakeChannel, accepted, rows


class SlowChannel(FakeChannel):
    """FakeChannel whose answers take `delay` seconds, or hang until `release` is set."""

    def __init__(self, delay: float = 0.0, hang: bool = False) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()
        handler = self.server.RequestHandlerClass
        original = handler.do_POST  # type: ignore[attr-defined]
        fake = self

        def do_post(req: object) -> None:
            fake.entered.set()
            if hang:
                fake.release.wait(30)
            elif delay:
                time.sleep(delay)
            original(req)

        handler.do_POST = do_post  # type: ignore[attr-defined]


def test_two_senders_deliver_every_row_exactly_once(store: CaseStore) -> None:
    channel = SlowChannel(delay=0.02)
    try:
        for _ in range(12):
            accepted(store)
        senders = [
            Notifier(store, rasa_url=channel.url, token="tok", backoff_s=(0.0,)) for _ in range(2)
        ]
        threads = [threading.Thread(target=n.deliver_due) for n in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        keys = [body["push_key"] for body, _ in channel.calls]
        assert len(keys) == 12 and len(set(keys)) == 12, keys
        assert {r.state for r in rows(store)} == {"sent"}
        assert all(r.attempts == 1 for r in rows(store))
    finally:
        channel.server.shutdown()
        channel.server.server_close()


def test_a_row_being_delivered_is_skipped_by_another_sender(store: CaseStore) -> None:
    channel = SlowChannel(hang=True)
    try:
        accepted(store)
        first = Notifier(store, rasa_url=channel.url, token="tok", timeout_s=20)
        second = Notifier(store, rasa_url=channel.url, token="tok")
        worker = threading.Thread(target=first.deliver_due)
        worker.start()
        assert channel.entered.wait(10)
        started = time.monotonic()
        assert second.deliver_due() == 0  # skipped, not waited for
        assert time.monotonic() - started < 5
        channel.release.set()
        worker.join(20)
        assert len(channel.calls) == 1
        assert [r.state for r in rows(store)] == ["sent"]
    finally:
        channel.release.set()
        channel.server.shutdown()
        channel.server.server_close()


SENDER = """
import sys
from bot.casework.notify import Notifier
from bot.casework.store import CaseStore
Notifier(CaseStore.from_url(sys.argv[1]), rasa_url=sys.argv[2], token="tok").deliver_due()
"""


def test_a_sender_killed_mid_delivery_loses_nothing(store: CaseStore, db_url: str) -> None:
    channel = SlowChannel(hang=True)
    try:
        accepted(store)
        proc = subprocess.Popen(
            [sys.executable, "-c", SENDER, db_url, channel.url],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        assert channel.entered.wait(60), "the sender never called the channel"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        channel.release.set()  # the killed sender's request ends unanswered
        (row,) = rows(store)
        assert row.state == "pending" and row.attempts == 0
        again = Notifier(store, rasa_url=channel.url, token="tok")
        # PostgreSQL: the row lock died with the sender's connection, so the row is due now;
        # SQLite: the killed sender's lease runs out first
        later = utcnow() + (timedelta(0) if again.skip_locked else timedelta(seconds=LEASE_S + 1))
        assert again.deliver_due(now=later) == 1
        (row,) = rows(store)
        assert row.state == "sent" and row.attempts == 1
        # the retry carries the row's push key, which the channel's shared state answers
        # `already_sent` had WeChat accepted the first try (connectors/wechat_outbound.py)
        keys = [body["push_key"] for body, _ in channel.calls]
        assert set(keys) == {notify.push_key(row)} and 1 <= len(keys) <= 2, keys
    finally:
        channel.release.set()
        channel.server.shutdown()
        channel.server.server_close()


def test_status_changed_starts_no_thread_in_the_app_or_action_server(store: CaseStore) -> None:
    issue = accepted(store)
    notify.status_changed(issue, issue.events[-1])
    assert not [t for t in threading.enumerate() if t.name == "gw-notify"]
    with Session(store.engine) as s:
        state = s.execute(select(Notification.state)).scalar_one()
    assert state == "pending"  # left for the sender process


def test_the_sender_process_stops_on_sigterm(tmp_path: Path, db_url: str) -> None:
    log = tmp_path / "sender.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.casework.sender", "--poll-s", "0.2"],
            cwd=PROJECT_ROOT,
            env={
                **os.environ,
                "PYTHONPATH": str(PROJECT_ROOT),
                "DATABASE_URL": db_url,
                "GW_RASA_URL": "http://127.0.0.1:9",
                "GW_INTERNAL_TOKEN": "tok",
            },
            stderr=err,
        )
        deadline = time.monotonic() + 120  # a busy machine imports slowly
        while "sender started" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        time.sleep(0.5)  # a pass or two
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    assert "sender stopped" in log.read_text()
