"""bot/casework/throttle.py and bot/casework/replays.py: counters, waits, audit, alerts, replays."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from bot.casework.replays import Replays, fingerprint
from bot.casework.store import CaseStore
from bot.casework.throttle import POLICIES, Gate, Policy, Throttle
from bot.clock import utcnow


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


SLOW = Policy(free=2, first=timedelta(minutes=1), most=timedelta(minutes=5))
SHARED = Policy(free=2, first=timedelta(minutes=1), most=timedelta(minutes=5), success="undo")
ALERT = Policy(free=None, forget=timedelta(days=1), alert_at=3)
TEST_POLICIES = {"slow": SLOW, "shared": SHARED, "ticket": ALERT}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(store: CaseStore, clock: Clock) -> Throttle:
    return Throttle(store, clock=clock, policies=TEST_POLICIES)


def fail(throttle: Throttle, *gates: Gate, tally: tuple[Gate, ...] = ()) -> bool:
    """One attempt that fails its check; whether it was allowed at all."""
    verdict = throttle.attempt(gates, kind="t", subject="s", source="src")
    if verdict.allowed:
        throttle.failed(gates, kind="t", subject="s", source="src", tally=tally)
    return verdict.allowed


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (2, 0), (3, 60), (4, 120), (5, 240), (6, 300), (40, 300)],
)
def test_delays_double_up_to_the_cap(failures: int, wait: int) -> None:
    assert SLOW.delay(failures) == timedelta(seconds=wait)


def test_an_alert_only_policy_never_delays() -> None:
    assert ALERT.delay(10_000) == timedelta(0)


def test_the_deployment_policies_never_lock_anyone_for_good() -> None:
    for scope, policy in POLICIES.items():
        assert policy.delay(10_000) <= timedelta(days=1), scope
        assert policy.forget <= timedelta(days=1), scope


def test_failures_make_the_next_attempt_wait(throttle: Throttle, clock: Clock) -> None:
    gate = Gate("slow", "account-1")
    assert [fail(throttle, gate) for _ in range(3)] == [True, True, True]
    refused = throttle.attempt([gate], kind="t", subject="s", source=None)
    assert not refused.allowed and refused.scope == "slow" and refused.wait_s == 60
    clock.advance(seconds=61)
    assert fail(throttle, gate)  # the 4th failure: two minutes now
    assert throttle.wait_for("slow", "account-1") == timedelta(minutes=2)
    assert throttle.wait_for("slow", "account-2") == timedelta(0)  # other gates are untouched


def test_refused_attempts_do_not_extend_the_wait(throttle: Throttle, clock: Clock) -> None:
    gate = Gate("slow", "x")
    for _ in range(3):
        fail(throttle, gate)
    for _ in range(20):
        assert not throttle.attempt([gate], kind="t", subject="s", source=None).allowed
    clock.advance(seconds=61)
    assert throttle.attempt([gate], kind="t", subject="s", source=None).allowed


def test_quiet_gates_forget(throttle: Throttle, clock: Clock) -> None:
    gate = Gate("slow", "x")
    for _ in range(3):
        fail(throttle, gate)
    clock.advance(hours=2)  # SLOW forgets after an hour
    assert [fail(throttle, gate) for _ in range(3)] == [True, True, True]


def test_success_resets_or_takes_back_one(throttle: Throttle) -> None:
    own, shared = Gate("slow", "account"), Gate("shared", "address")
    fail(throttle, own, shared)
    fail(throttle, own, shared)
    assert throttle.attempt([own, shared], kind="t", subject="s", source=None).allowed
    throttle.succeeded([own, shared])
    # The account starts over; the address keeps its two failures: one more makes it wait.
    assert fail(throttle, shared)
    assert not throttle.attempt([shared], kind="t", subject="s", source=None).allowed
    assert throttle.attempt([own], kind="t", subject="s", source=None).allowed


def test_each_wait_audits_its_first_refusal_only(throttle: Throttle) -> None:
    gate = Gate("slow", "x")
    for _ in range(3):
        fail(throttle, gate)
    for _ in range(5):
        throttle.attempt([gate], kind="t", subject="s", source=None)
    kinds = [e.kind for e in throttle.events()]
    assert kinds.count("t_failed") == 3 and kinds.count("t_refused") == 1
    [refusal] = [e for e in throttle.events() if e.kind == "t_refused"]
    assert refusal.wait_s == 60 and refusal.failures == 3 and refusal.note == "slow"


def test_the_counters_keep_no_subject_in_clear(store: CaseStore, throttle: Throttle) -> None:
    fail(throttle, Gate("slow", "HB-20261122-0007|wx-openid-secret"))
    with store.engine.connect() as conn:
        dump = "".join(str(r) for r in conn.exec_driver_sql("SELECT * FROM attempt_counters"))
    assert "wx-openid-secret" not in dump and "HB-" not in dump


def test_a_tally_alerts_once_per_quiet_period(
    throttle: Throttle, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    ticket = Gate("ticket", "HB-20261122-0007")
    raised = [fail(throttle, Gate("slow", f"c{n}"), tally=(ticket,)) for n in range(6)]
    assert raised == [True] * 6
    alerts = throttle.events(alerts_only=True)
    assert [(a.kind, a.failures) for a in alerts] == [("t_alert", 3)]
    assert "s drew 3 failed checks" in caplog.text
    clock.advance(days=2)
    for n in range(3):
        fail(throttle, Gate("slow", f"d{n}"), tally=(ticket,))
    assert len(throttle.events(alerts_only=True)) == 2


def test_parallel_guesses_cannot_slip_through(store: CaseStore) -> None:
    """Each attempt is counted before its check: 20 guesses at once get the free tries only."""
    throttle = Throttle(store, policies={"slow": SLOW})
    gate = Gate("slow", "account")

    def one(_: int) -> bool:
        return throttle.attempt([gate], kind="t", subject="s", source=None).allowed

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = sum(pool.map(one, range(20)))
    assert allowed == 3


# -- replays -------------------------------------------------------------------------------------
def test_a_repeat_within_the_window_gets_the_first_ticket(store: CaseStore, clock: Clock) -> None:
    replays = Replays(store, window=timedelta(minutes=10), clock=clock)
    key = fingerprint("key", "noise", "夜间施工", "31.4", "104.6", "")
    first = replays.claim(key)
    assert first.claimed
    pending = replays.claim(key)
    assert pending.pending and not pending.claimed
    replays.settle(key, "HB-20261122-0001")
    again = replays.claim(key)
    assert (again.claimed, again.ticket) == (False, "HB-20261122-0001")
    clock.advance(minutes=11)
    assert replays.claim(key).claimed  # the same words later are a new report


def test_a_failed_or_abandoned_filing_frees_the_fingerprint(store: CaseStore, clock: Clock) -> None:
    replays = Replays(store, clock=clock)
    key = fingerprint("a")
    assert replays.claim(key).claimed
    replays.release(key)
    assert replays.claim(key).claimed
    assert replays.claim(key).pending
    clock.advance(seconds=31)  # its process died mid-filing
    assert replays.claim(key).claimed


def test_fingerprints_separate_their_parts() -> None:
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert len(fingerprint("x")) == 64
