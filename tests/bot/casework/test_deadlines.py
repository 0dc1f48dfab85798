"""Working-day deadlines: weekends, holidays and 调休 make-up days; overdue and soon-due flags."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.casework.deadlines import Calendar, accept_due, calendar, flag, handle_due, policy
from bot.config import Settings

SH = "Asia/Shanghai"


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    """A moment given in Shanghai local time, as UTC."""
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, h, tzinfo=ZoneInfo(SH)).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 16), 1, date(2026, 11, 17)),  # Monday → Tuesday
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday → Monday
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday → Monday
        (date(2026, 11, 16), 5, date(2026, 11, 23)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # 国庆: Oct 1–7 off
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday Oct 10 is a 调休 working day
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday Feb 14 works before 春节
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # 春节 Feb 15–23
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # 元旦 Jan 1–3, Sunday Jan 4 works
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert calendar().add_working_days(start, days) == expected


def test_plain_calendar_counts_weekends_only() -> None:
    cal = Calendar()
    assert cal.add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 2)
    assert cal.working_days_between(date(2026, 11, 16), date(2026, 11, 23)) == 5
    assert cal.working_days_between(date(2026, 11, 23), date(2026, 11, 16)) == -5


def test_accept_due_is_end_of_next_working_day() -> None:
    due = accept_due(at(2026, 11, 20, 16), policy(Settings()))  # a Friday afternoon
    assert due.isoformat() == "2026-11-23T23:59:59+08:00"


@pytest.mark.parametrize(
    ("categories", "working_days"),
    [(["水"], 15), (["噪声"], 10), (["扬尘"], 5), (["水", "扬尘"], 5), ([], 15)],
)
def test_handle_days_per_category(categories: list[str], working_days: int) -> None:
    assert policy(Settings()).handle_days_for(categories) == working_days


def test_settings_override_handle_days() -> None:
    pol = policy(Settings(handle_days={"水": 3}, accept_days=2))
    assert pol.handle_days_for(["水"]) == 3
    assert pol.accept_days == 2
    due = handle_due(at(2026, 11, 16), ["水"], pol)
    assert due.date() == date(2026, 11, 19)


@pytest.mark.parametrize(
    ("now", "finished", "expected"),
    [
        (at(2026, 11, 16), False, "ok"),
        (at(2026, 11, 24), False, "soon"),  # 2 working days before the deadline
        (at(2026, 11, 26, 9), False, "soon"),  # the deadline day itself
        (at(2026, 11, 27, 9), False, "overdue"),
        (at(2026, 11, 27, 9), True, "done"),
    ],
)
def test_flag(now: datetime, finished: bool, expected: str) -> None:
    pol = policy(Settings())
    due = at(2026, 11, 26, 23).replace(minute=59)
    assert flag(due, now, finished=finished, pol=pol) == expected


def test_flag_without_deadline_is_done() -> None:
    assert flag(None, at(2026, 11, 16), finished=False, pol=policy(Settings())) == "done"
