"""Slowing guessing down and auditing it, in the database: console logins and status look-ups.

Two things a stranger can guess at: a console password (bot/casework/accounts.py) and the phone
behind a ticket in the citizens' status look-up (bot/intake/status.py). Each attempt is counted on
a few counters ("gates": the account, the client address, the conversation, ...), and a counter
that saw too many failures makes the next attempt wait, longer after every further failure, up to
a cap. Quiet for long enough, a counter forgets. A refused attempt does not reset the wait, and
nobody is locked out for good: the policies say how long the longest wait is, and which gates
never block at all (a ticket's counter only raises an alert, because ticket numbers are guessable
and a lock on a ticket would itself lock the reporter out).

Counters and audit rows live in the ledger's database, so every process (several app workers, the
action server) sees the same counts. Hand-written, because the rate limiters we looked at (slowapi,
limits) count requests in fixed windows in memory or Redis; we need failure counts with growing
delays, shared through SQLite or PostgreSQL, and an audit trail the office can read.

An attempt is counted *before* the password or phone is checked and the count is taken back when
the check succeeds: parallel guesses then cannot all slip through before the first failure lands.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.casework.db import Transactional
from bot.casework.models import Base, UTCDateTime
from bot.clock import utcnow

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class AttemptCounter(Base):
    """Failures counted on one gate (an account, an address, a ticket and conversation, ...).

    The key is a SHA-256 of scope and subject, so the table holds no phone, address or sender id.
    """

    __tablename__ = "attempt_counters"

    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: No attempt on this gate before this time.
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Attempts refused since the last counted one (only the first is audited).
    refused: Mapped[int] = mapped_column(Integer, default=0)
    #: When this gate last raised an alert (one alert per quiet period).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityEvent(Base):
    """Audit trail of guessing: failed and refused attempts, and alerts for the office."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: login_failed / login_refused / lookup_failed / lookup_refused / lookup_alert / ...
    kind: Mapped[str] = mapped_column(String(32), index=True)
    #: What was guessed at: a console user name or a ticket (never a password or a phone).
    subject: Mapped[str] = mapped_column(String(128))
    #: Where from: the client address, or a masked conversation id.
    source: Mapped[str | None] = mapped_column(String(128))
    #: Failures counted on the gate when this happened.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: Seconds the next attempt must wait.
    wait_s: Mapped[int] = mapped_column(Integer, default=0)
    alert: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    note: Mapped[str | None] = mapped_column(Text)


class KnownDevice(Base):
    """A browser that logged in to an account before (a random cookie; the table keeps its hash).

    Guessing an account's password from elsewhere slows the account's gate down; a known browser
    is counted on its own gate instead, so the member it belongs to keeps logging in.
    """

    __tablename__ = "staff_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# -- policies ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """How a gate slows guessing down.

    After `free` failures each further failure makes the next attempt wait `first`, then twice
    as long each time, at most `most`; `free=None` never makes anyone wait (an alert-only gate).
    `forget`: failures older than this are forgotten. `success`: "reset" clears the gate when a
    check passes (the account, the ticket and conversation), "undo" takes back just the one
    attempt (an address or a conversation that many honest people or questions share).
    `alert_at`: this many failures raise one alert for the office per quiet period.
    """

    free: int | None
    first: timedelta = timedelta(seconds=1)
    most: timedelta = timedelta(minutes=15)
    forget: timedelta = timedelta(hours=1)
    success: str = "reset"
    alert_at: int | None = None

    def delay(self, failures: int) -> timedelta:
        """How long the attempt after the `failures`-th must wait."""
        if self.free is None or failures <= self.free:
            return timedelta(0)
        steps = min(failures - self.free - 1, 60)
        seconds = min(self.first.total_seconds() * 2.0**steps, self.most.total_seconds())
        return timedelta(seconds=seconds)


#: The deployment's policies. Console: an address or account may try 5 times freely, then waits
#: 2 s, 4 s, ... A known browser of the account (bot/casework/accounts.py) is not held up by
#: the account's gate, so guessing from elsewhere cannot lock the member out.
#: Status look-up: 3 free tries per ticket and conversation, then 1 min, 2 min, ... up to 6 h;
#: at most 10 failed checks per conversation a day; 10 failures on one ticket a day alert the
#: office.
POLICIES: dict[str, Policy] = {
    "login_address": Policy(
        free=5, first=timedelta(seconds=2), most=timedelta(minutes=15), success="undo"
    ),
    "login_account": Policy(free=5, first=timedelta(seconds=2), most=timedelta(minutes=15)),
    "login_device": Policy(free=5, first=timedelta(seconds=2), most=timedelta(minutes=15)),
    "lookup_pair": Policy(
        free=3, first=timedelta(minutes=1), most=timedelta(hours=6), forget=timedelta(days=1)
    ),
    "lookup_conversation": Policy(
        free=9,
        first=timedelta(days=1),
        most=timedelta(days=1),
        forget=timedelta(days=1),
        success="undo",
    ),
    "lookup_ticket": Policy(free=None, forget=timedelta(days=1), alert_at=10),
}


@dataclass(frozen=True)
class Gate:
    """One counter an attempt is counted on: a policy's scope and what it counts (a subject)."""

    scope: str
    subject: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.scope}\x00{self.subject}".encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """May the attempt go ahead; if not, which gate holds it and for how long."""

    allowed: bool
    wait: timedelta = timedelta(0)
    scope: str | None = None

    @property
    def wait_s(self) -> int:
        return max(1, int(self.wait.total_seconds() + 0.999)) if not self.allowed else 0


@dataclass(frozen=True)
class EventView:
    """One audit row as the console lists it."""

    id: int
    at: datetime
    kind: str
    subject: str
    source: str | None
    failures: int
    wait_s: int
    alert: bool
    note: str | None


# -- the throttle --------------------------------------------------------------------------------
class Throttle:
    """Counters over the ledger's database. Thread- and process-safe; cheap to build per request."""

    def __init__(
        self,
        db: Transactional,
        *,
        clock: Clock | None = None,
        policies: dict[str, Policy] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or utcnow
        self.policies = policies or POLICIES

    def policy(self, scope: str) -> Policy:
        return self.policies[scope]

    # -- attempts ---------------------------------------------------------------------------------
    def attempt(
        self, gates: Sequence[Gate], *, kind: str, subject: str, source: str | None
    ) -> Verdict:
        """Counts an attempt on every gate, unless one of them still makes it wait.

        A refused attempt counts nothing; it is audited as `<kind>_refused` the first time in
        each wait, so hammering a closed gate does not fill the audit table. An allowed attempt
        is counted as a failure now (`succeeded` takes it back), so parallel guesses cannot all
        pass the check before the first failure is written.
        """
        now = self.clock()
        with self.db.transaction() as s:
            _lock(s, gates, now)
            rows = {g: _current(s, g, now, self.policy(g.scope)) for g in gates}
            held = {
                g: r for g, r in rows.items() if r and r.blocked_until and r.blocked_until > now
            }
            if not held:
                for g in gates:
                    _bump(s, g, now, self.policy(g.scope))
                return Verdict(True)
            wait, scope = max((r.blocked_until - now, g.scope) for g, r in held.items())  # type: ignore[operator]
            first = any(r.refused == 0 for r in held.values())
            for r in held.values():
                r.refused += 1
            if first:
                failures = max(r.failures for r in held.values())
                _audit(s, now, f"{kind}_refused", subject, source, failures, wait, note=scope)
            return Verdict(False, wait, scope)

    def succeeded(self, gates: Sequence[Gate]) -> None:
        """The check passed: the attempt counted by `attempt` is taken back (see Policy.success)."""
        now = self.clock()
        with self.db.transaction() as s:
            _lock(s, gates, now)
            for g in gates:
                row = s.get(AttemptCounter, (g.scope, g.key), populate_existing=True)
                policy = self.policy(g.scope)
                if row is None:
                    continue
                if policy.success == "reset":
                    s.delete(row)
                    continue
                row.failures = max(0, row.failures - 1)
                delay = policy.delay(row.failures)
                row.blocked_until = row.last_at + delay if delay else None

    def failed(
        self,
        gates: Sequence[Gate],
        *,
        kind: str,
        subject: str,
        source: str | None,
        tally: Sequence[Gate] = (),
    ) -> bool:
        """The check failed (the attempt is already counted): audit it, count the `tally` gates
        (alert-only ones, such as a ticket) and raise an alert when one reaches its threshold,
        once per quiet period: an audit row marked `alert` and a WARNING naming only the subject.
        True when an alert was raised."""
        now = self.clock()
        alerted = False
        with self.db.transaction() as s:
            _lock(s, [*gates, *tally], now)
            rows = [s.get(AttemptCounter, (g.scope, g.key), populate_existing=True) for g in gates]
            counted = [r for r in rows if r is not None]
            failures = max((r.failures for r in counted), default=0)
            ends = [r.blocked_until - now for r in counted if r.blocked_until]
            wait = max([timedelta(0), *ends])
            _audit(s, now, f"{kind}_failed", subject, source, failures, wait)
            for g in tally:
                policy = self.policy(g.scope)
                row = _bump(s, g, now, policy)
                if policy.alert_at is None or row.failures < policy.alert_at:
                    continue
                if row.alerted_at is not None and row.alerted_at >= row.first_at:
                    continue
                row.alerted_at, alerted = now, True
                _audit(s, now, f"{kind}_alert", subject, None, row.failures, timedelta(0), True)
                logger.warning(
                    "%s: %s drew %d failed checks within %s (alert for the office)",
                    kind,
                    subject,
                    row.failures,
                    policy.forget,
                )
        return alerted

    def wait_for(self, scope: str, subject: str) -> timedelta:
        """How long an attempt on this gate must wait now (zero when it may go ahead)."""
        now = self.clock()
        with self.db.transaction() as s:
            row = s.get(AttemptCounter, (scope, Gate(scope, subject).key))
            if row is None or row.blocked_until is None or row.blocked_until <= now:
                return timedelta(0)
            return row.blocked_until - now

    # -- audit ------------------------------------------------------------------------------------
    def audit(
        self, kind: str, *, subject: str, source: str | None, alert: bool = False, note: str = ""
    ) -> None:
        """An audit row of its own (no counter involved)."""
        with self.db.transaction() as s:
            _audit(s, self.clock(), kind, subject, source, 0, timedelta(0), alert, note or None)

    def events(self, *, limit: int = 200, alerts_only: bool = False) -> list[EventView]:
        """The newest audit rows first (alerts only, if asked)."""
        stmt = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
        if alerts_only:
            stmt = stmt.where(SecurityEvent.alert.is_(True))
        with self.db.transaction() as s:
            return [
                EventView(
                    e.id, e.at, e.kind, e.subject, e.source, e.failures, e.wait_s, e.alert, e.note
                )
                for e in s.execute(stmt).scalars()
            ]


def _lock(s: Session, gates: Sequence[Gate], now: datetime) -> None:
    """Takes the gates' rows (PostgreSQL) or the database's write lock (SQLite) before reading:
    concurrent attempts then see each other's counts instead of all passing a stale check, and
    SQLite never has to upgrade a read transaction to a write (which fails at once when another
    process wrote in between). A missing row is made first (with no failures), so that the
    first attempts on a gate queue up on it too."""
    table = AttemptCounter
    options = {"synchronize_session": False}
    for g in gates:
        touch = (
            update(table)
            .where(table.scope == g.scope, table.key == g.key)
            .values(refused=table.refused)
        )
        if getattr(s.execute(touch, execution_options=options), "rowcount", 0):
            continue
        try:
            with s.begin_nested():
                s.add(table(scope=g.scope, key=g.key, failures=0, first_at=now, last_at=now))
        except IntegrityError:  # made by a concurrent attempt: wait for it, then take it
            s.execute(touch, execution_options=options)


def _current(s: Session, gate: Gate, now: datetime, policy: Policy) -> AttemptCounter | None:
    """The gate's counter, or None (a counter quiet for `policy.forget` is forgotten)."""
    row = s.get(AttemptCounter, (gate.scope, gate.key), populate_existing=True)
    if row is not None and row.last_at < now - policy.forget:
        s.delete(row)
        s.flush()
        return None
    return row


def _bump(s: Session, gate: Gate, now: datetime, policy: Policy) -> AttemptCounter:
    """Counts one failure on `gate` and sets how long the next attempt waits."""
    table = AttemptCounter
    increment = (
        update(table)
        .where(table.scope == gate.scope, table.key == gate.key)
        .values(failures=table.failures + 1)
    )
    options = {"synchronize_session": False}
    if getattr(s.execute(increment, execution_options=options), "rowcount", 0) == 0:
        try:
            with s.begin_nested():
                s.add(table(scope=gate.scope, key=gate.key, failures=1, first_at=now, last_at=now))
        except IntegrityError:  # another process made the row a moment ago
            s.execute(increment, execution_options=options)
    row = s.get(table, (gate.scope, gate.key), populate_existing=True)
    assert row is not None
    if row.last_at < now - policy.forget and row.failures > 1:
        row.failures, row.first_at = 1, now  # quiet long enough: start over
    row.last_at, row.refused = now, 0
    delay = policy.delay(row.failures)
    row.blocked_until = now + delay if delay else None
    return row


def _audit(
    s: Session,
    now: datetime,
    kind: str,
    subject: str,
    source: str | None,
    failures: int,
    wait: timedelta,
    alert: bool = False,
    note: str | None = None,
) -> None:
    wait_s = int(wait.total_seconds() + 0.999)
    s.add(
        SecurityEvent(
            at=now,
            kind=kind,
            subject=subject[:128],
            source=source[:128] if source else None,
            failures=failures,
            wait_s=wait_s,
            alert=alert,
            note=note,
        )
    )
