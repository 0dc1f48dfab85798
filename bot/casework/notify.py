"""Status updates back to the citizen, through the channel the report came from.

A transactional outbox. Case work (bot/casework/commands.py) writes the message of every
citizen-visible status change with `queue(session, issue, event)` in the same transaction as the
change itself: the change and its message are committed together or not at all, so no change
goes out untold and no message announces a change that was rolled back. After the commit,
`status_changed(issue, event)` returns at once, so the caller never waits for WeChat.

The sender is a process of its own (`python -m bot.casework.sender`, started by `make run` and
`make run-cluster`; several may run), never a thread of the app or the action server. It claims
each due row before delivering it: on PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`, holding
the row lock while it delivers and committing the outcome right after the channel answers, so a
second sender skips the row and a sender killed mid-delivery releases it at once (its connection
dies with it, the transaction rolls back, the row is pending again); on SQLite with a lease
(`next_attempt_at` moved LEASE_S ahead by a conditional UPDATE), after which a row of a killed
sender is due again. Nothing is lost either way.

Duplicates: WeChat's send API takes no idempotency key. The channel claims each row's push key
(`push_key`: id + creation time) in the shared state before calling WeChat and marks it sent
right after WeChat accepts (connectors/wechat_outbound.Outbound.push), so a row retried after a
sender died is answered `already_sent` instead of sent again. A citizen can get a message twice
only if the Rasa server itself dies in the window between WeChat accepting the message and that
one Redis SET (well under a millisecond), or, without Redis (one machine), if the Rasa process
restarts between WeChat accepting and the sender committing.

The sender delivers WeChat issues through the Rasa server's WeChat channel (POST
{GW_RASA_URL}/webhooks/wechat/notify, which picks a customer-service or a template message by
the 48-hour rule), retries failures with backoff, and finally marks a message `undelivered`:
that row is the record on the issue of what did not reach the citizen. Issues from other
channels stay `pending` (rest: the bot's status answer; hotline: a call-back task).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import texts
from bot.casework.db import make_session_factory
from bot.casework.lifecycle import citizen_event
from bot.casework.models import Notification, utcnow
from bot.casework.schemas import EventView, IssueView
from bot.casework.store import CaseStore, get_store
from bot.config import TOKEN_HEADER, get_settings

logger = logging.getLogger(__name__)

#: Channels whose citizens can be reached by push; the others keep their outbox rows pending.
PUSH_CHANNELS = frozenset({"wechat"})
#: Seconds before the 2nd, 3rd … attempt; after the last one the message is undelivered.
DEFAULT_BACKOFF_S: tuple[float, ...] = (5, 30, 120, 600, 1800)
#: How long a worker owns a row it is delivering (another process skips it meanwhile).
LEASE_S = 60.0


def push_key(row: Notification) -> str:
    """The row's name for the channel's at-most-once claim: its id and creation time, so that a
    database created afresh (ids from 1 again) never meets the claims of an older one."""
    return f"{row.id}:{row.created_at.isoformat()}"


def compose(issue: IssueView, event: EventView) -> tuple[str, dict[str, str]]:
    """The citizen's message and the template fields for one status change (no personal data).

    Every message to a citizen about a status change is composed here: this push (or outbox
    row) and the call-back script of `callback_script`, both from `citizen_event`.
    """
    # A note written by staff beats the generic line; 办结 asks whether the citizen is satisfied.
    label, note = citizen_event(event)
    text = texts.text(
        "citizen", "notify.status", ticket=issue.ticket, status_label=label, note=note
    )
    at = event.at.astimezone(_tz())
    data = {
        "first": texts.text("citizen", "notify.template.first"),
        "ticket": issue.ticket,
        "status": label,
        "time": f"{at:%Y-%m-%d %H:%M}",
        "note": note,
        "remark": texts.text("citizen", "notify.template.remark"),
    }
    return text, data


def callback_script(issue: IssueView, event: EventView) -> str:
    """What a hotline agent reads to the caller on a call-back task (回访) for one status change."""
    label, note = citizen_event(event)
    return texts.text(
        "citizen", "notify.callback", ticket=issue.ticket, status_label=label, note=note
    )


@dataclass(frozen=True)
class Notice:
    """A status message put in the outbox with a change: whose issue, and how it travels."""

    ticket: str
    channel: str
    #: True: the worker pushes it (WeChat). False: it waits for the citizen to ask (rest: the
    #: bot's status answer; open311: GET) or for staff (hotline: the call-back task).
    push: bool


class Changed(IssueView):
    """An issue after a command, with the citizen messages the command put in the outbox (this
    issue's and those of the issues merged into it)."""

    notices: tuple[Notice, ...] = ()

    def notice(self) -> Notice | None:
        """The message to this issue's own reporter, if one was queued."""
        return next((n for n in self.notices if n.ticket == self.ticket), None)


def status_flash(changed: Changed, status: str) -> str:
    """The console's line after a status change: what is true about telling the citizen.

    A queued WeChat message is on its way (the worker retries it, the issue records it if it
    never arrives); a hotline report got a call-back task; a web chat or Open311 reporter sees
    the change when they ask; an issue without a reachable reporter says so.
    """
    told = texts.table("staff", "outbox.told")
    notice = changed.notice()
    line = told.get(notice.channel, told["none"]) if notice else told["none"]
    others = len(changed.notices) - (1 if notice else 0)
    if others:
        line += texts.text("staff", "outbox.merged_too", count=others)
    return texts.text("staff", "outbox.status_changed", status=status, told=line)


def queue(s: Session, issue: IssueView, event: EventView) -> Notice | None:
    """Writes the outbox row for `event` in the caller's session and transaction.

    Its `created_at` is the moment of the change it announces (`event.at`), which also tells
    `Notifier.status_changed` that the row is there. None when there is nobody to tell (a push
    channel without a sender). Errors propagate: the caller's transaction, status change
    included, is then rolled back.
    """
    row = _add_row(s, issue, event)
    if row is None:
        return None
    return Notice(ticket=issue.ticket, channel=issue.channel, push=row.next_attempt_at is not None)


def _add_row(s: Session, issue: IssueView, event: EventView) -> Notification | None:
    if not issue.reporter_sender_id and issue.channel in PUSH_CHANNELS:
        return None
    text, data = compose(issue, event)
    push = issue.channel in PUSH_CHANNELS
    row = Notification(
        issue_id=issue.id,
        channel=issue.channel,
        recipient=issue.reporter_sender_id,
        ticket=issue.ticket,
        to_status=event.to_status,
        text=text,
        data=data,
        state="pending",
        attempts=0,
        next_attempt_at=utcnow() if push else None,
        created_at=event.at,
    )
    s.add(row)
    s.flush()
    logger.info(
        "queued status message of %s (%s) for channel %s",
        issue.ticket,
        event.to_status,
        issue.channel,
    )
    return row


def _tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_settings().timezone)


class Notifier:
    """The outbox and its delivery loop: `run()` in the sender process (bot.casework.sender);
    tests may run it in a thread with `start()`."""

    def __init__(
        self,
        store: CaseStore,
        *,
        rasa_url: str,
        token: str | None,
        backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
        timeout_s: float = 15.0,
        poll_s: float = 5.0,
    ) -> None:
        self._sessions = make_session_factory(store.engine)
        #: PostgreSQL: rows claimed with FOR UPDATE SKIP LOCKED; others (SQLite): a lease
        self.skip_locked = store.engine.dialect.name == "postgresql"
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.backoff_s = tuple(backoff_s)
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def max_attempts(self) -> int:
        return len(self.backoff_s) + 1

    # -- the caller's side: fast, never raises ------------------------------------------------
    def wake(self, channel: str) -> None:
        """Tells the worker that a message of `channel` waits (starting it if need be)."""
        if channel in PUSH_CHANNELS:
            self.start()
            self._wake.set()

    def status_changed(self, issue: IssueView, event: EventView) -> None:
        """Makes sure the message of `event` is in the outbox, then wakes the worker.

        Case work has written it with the change; this writes it only for a change recorded
        without one (a message sent again by hand, a tool, a test).
        """
        try:
            if not self._queued(issue, event):
                self.enqueue(issue, event)
        except Exception:
            logger.exception("could not queue the status message of %s", issue.ticket)
            return
        self.wake(issue.channel)

    def _queued(self, issue: IssueView, event: EventView) -> bool:
        with self._sessions() as s:
            found = s.execute(
                select(Notification.id)
                .where(
                    Notification.issue_id == issue.id,
                    Notification.to_status == event.to_status,
                    Notification.created_at == event.at,
                )
                .limit(1)
            ).scalar_one_or_none()
        return found is not None

    def enqueue(self, issue: IssueView, event: EventView) -> int | None:
        """Writes the outbox row in a transaction of its own; its id, or None when there is
        nobody to tell (a push channel without a sender)."""
        with self._sessions() as s, s.begin():
            row = _add_row(s, issue, event)
            return None if row is None else row.id

    # -- the worker ---------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self.run, name="gw-notify", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def request_stop(self) -> None:
        """Ends `run()` after the delivery in hand (a signal handler may call it)."""
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Delivers due messages until `request_stop()`: the sender process's main loop."""
        while not self._stop.is_set():
            try:
                self.deliver_due()
                wait = self._seconds_to_next()
            except Exception:
                logger.exception("notification worker pass failed; trying again shortly")
                wait = self.poll_s
            self._wake.wait(timeout=wait)
            self._wake.clear()

    def _seconds_to_next(self) -> float:
        with self._sessions() as s:
            nxt = s.execute(
                select(Notification.next_attempt_at)
                .where(
                    Notification.state == "pending",
                    Notification.channel.in_(PUSH_CHANNELS),
                    Notification.next_attempt_at.is_not(None),
                )
                .order_by(Notification.next_attempt_at)
                .limit(1)
            ).scalar_one_or_none()
        if nxt is None:
            return self.poll_s
        return max(0.05, min(self.poll_s, (nxt - utcnow()).total_seconds()))

    def deliver_due(self, now: datetime | None = None) -> int:
        """One pass: tries every due WeChat message once. Returns how many were attempted."""
        now = now or utcnow()
        if self.skip_locked:
            return self._deliver_due_locked(now)
        with self._sessions() as s:
            due = s.execute(
                select(Notification.id, Notification.next_attempt_at)
                .where(
                    Notification.state == "pending",
                    Notification.channel.in_(PUSH_CHANNELS),
                    Notification.next_attempt_at <= now,
                )
                .order_by(Notification.id)
                .limit(100)
            ).all()
        attempted = 0
        for row_id, due_at in due:
            if due_at is not None and self._claim(row_id, due_at, now):
                attempted += 1
                self._deliver(row_id)
        return attempted

    def _deliver_due_locked(self, now: datetime, limit: int = 100) -> int:
        """PostgreSQL: each due row is claimed with FOR UPDATE SKIP LOCKED and delivered while
        its lock is held; the outcome is committed as soon as the channel answers."""
        attempted = 0
        while attempted < limit and not self._stop.is_set():
            with self._sessions() as s, s.begin():
                row = s.execute(
                    select(Notification)
                    .where(
                        Notification.state == "pending",
                        Notification.channel.in_(PUSH_CHANNELS),
                        Notification.next_attempt_at <= now,
                    )
                    .order_by(Notification.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if row is None:
                    return attempted
                error, retry, via = self._push(self._payload(row))
                self._record(s, row, error=error, retry=retry, via=via)
            attempted += 1
        return attempted

    @staticmethod
    def _payload(row: Notification) -> dict[str, Any]:
        return {
            "recipient": row.recipient,
            "ticket": row.ticket,
            "text": row.text,
            "data": row.data,
            "notification_id": row.id,
            "push_key": push_key(row),
        }

    def _claim(self, row_id: int, due_at: datetime, now: datetime) -> bool:
        """Takes a lease on the row, so that two processes never send the same message."""
        with self._sessions() as s, s.begin():
            result = s.execute(
                update(Notification)
                .where(
                    Notification.id == row_id,
                    Notification.state == "pending",
                    Notification.next_attempt_at == due_at,
                )
                .values(next_attempt_at=now + timedelta(seconds=LEASE_S))
            )
            return bool(getattr(result, "rowcount", 0))

    def _deliver(self, row_id: int) -> None:
        with self._sessions() as s:
            row = s.get(Notification, row_id)
            assert row is not None
            payload = self._payload(row)
        error, retry, via = self._push(payload)
        with self._sessions() as s, s.begin():
            row = s.get(Notification, row_id)
            assert row is not None
            self._record(s, row, error=error, retry=retry, via=via)

    def _push(self, payload: dict[str, Any]) -> tuple[str | None, bool, str | None]:
        """(error, worth retrying, via) of one delivery attempt through the Rasa channel."""
        headers = {TOKEN_HEADER: self.token} if self.token else {}
        try:
            r = httpx.post(
                f"{self.rasa_url}/webhooks/wechat/notify",
                json=payload,
                headers=headers,
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as exc:
            return f"channel unreachable: {type(exc).__name__}", True, None
        body: dict[str, Any] = {}
        try:
            parsed = r.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            body = {}
        if r.status_code == 200:
            return None, False, str(body.get("via") or "")
        reason = str(body.get("error") or f"HTTP {r.status_code}")[:500]
        retry = bool(body.get("retry", r.status_code >= 500 or r.status_code in (404, 429)))
        return reason, retry, None

    def _record(
        self, s: Session, row: Notification, *, error: str | None, retry: bool, via: str | None
    ) -> None:
        row.attempts += 1
        now = utcnow()
        if error is None:
            row.state, row.via, row.sent_at, row.next_attempt_at = "sent", via, now, None
            row.last_error = None
            logger.info(
                "status message of %s delivered via %s (attempt %d)", row.ticket, via, row.attempts
            )
            return
        row.last_error = error
        if retry and row.attempts < self.max_attempts:
            row.next_attempt_at = now + timedelta(seconds=self.backoff_s[row.attempts - 1])
            logger.warning(
                "status message of %s not delivered (%s); retry %d in %.0fs",
                row.ticket,
                error,
                row.attempts,
                self.backoff_s[row.attempts - 1],
            )
            return
        row.state, row.next_attempt_at = "undelivered", None
        logger.error(
            "status message of %s undelivered after %d attempt(s): %s",
            row.ticket,
            row.attempts,
            error,
        )


def outbox_for(store: CaseStore, issue_id: int) -> list[dict[str, Any]]:
    """The issue's status messages and their fate, for the console (state, via, last_error)."""
    with make_session_factory(store.engine)() as s:
        rows = s.execute(
            select(Notification).where(Notification.issue_id == issue_id).order_by(Notification.id)
        ).scalars()
        return [
            {
                "id": r.id,
                "to_status": r.to_status,
                "state": r.state,
                "attempts": r.attempts,
                "via": r.via,
                "last_error": r.last_error,
                "created_at": r.created_at,
                "sent_at": r.sent_at,
            }
            for r in rows
        ]


@lru_cache(maxsize=1)
def get_notifier() -> Notifier:
    """The process-wide notifier, built from settings on first use (never at import)."""
    settings = get_settings()
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    return Notifier(get_store(), rasa_url=settings.rasa_url, token=token)


def status_changed(issue: IssueView, event: EventView) -> None:
    """After the commit of a change: nothing to do in this process (never raises, never blocks).

    Case work committed the message with the change; the sender process (bot.casework.sender)
    finds it on its next pass (within its poll interval). No thread is started here: the app
    and the action server run several instances, and the sender is a process of its own."""
    logger.debug("status message of %s (%s) left to the sender", issue.ticket, event.to_status)
