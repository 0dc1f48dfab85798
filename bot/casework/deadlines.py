"""办理时限: working-day deadlines for accepting and handling issues, and overdue flags.

Accept within 1 working day of registration; handle within N working days of acceptance, N per
category (bot/data/deadlines.yml, overridable in settings). Weekends, public holidays and 调休
make-up working days come from bot/data/holidays.yml. A deadline is the end of the last working
day (23:59:59 local time), which is how offices read "5个工作日内".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml

from bot.config import DATA_DIR, Settings, get_settings

logger = logging.getLogger(__name__)

Flag = Literal["overdue", "soon", "ok", "done"]


@dataclass(frozen=True)
class Calendar:
    """Working days: Monday to Friday, minus holidays, plus make-up working days."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (start itself does not count)."""
        day = start
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for n in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=n))
        )


def _days(entries: Iterable[Any]) -> set[date]:
    out: set[date] = set()
    for entry in entries or ():
        if isinstance(entry, dict):
            start, end = entry["from"], entry["to"]
            out.update(start + timedelta(days=n) for n in range((end - start).days + 1))
        else:
            out.add(entry)
    return out


@lru_cache(maxsize=1)
def calendar() -> Calendar:
    raw = yaml.safe_load((DATA_DIR / "holidays.yml").read_text(encoding="utf-8"))
    return Calendar(
        holidays=frozenset(_days(raw.get("holidays"))),
        workdays=frozenset(_days(raw.get("workdays"))),
    )


@dataclass(frozen=True)
class Policy:
    accept_days: int
    handle_days: dict[str, int]
    soon_due_days: int
    timezone: str = "Asia/Shanghai"

    def handle_days_for(self, categories: Sequence[str]) -> int:
        """The shortest limit among the issue's categories: the stricter department wins."""
        default = self.handle_days.get("default", 15)
        limits = [self.handle_days.get(c, default) for c in categories]
        return min(limits) if limits else default


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (DATA_DIR / "deadlines.yml").read_text(encoding="utf-8")
    )
    return loaded


def policy(settings: Settings | None = None) -> Policy:
    """Defaults from deadlines.yml, overridden by settings (GW_ACCEPT_DAYS, GW_HANDLE_DAYS…)."""
    settings = settings or get_settings()
    raw = _defaults()
    handle = {str(k): int(v) for k, v in (raw.get("handle_days") or {}).items()}
    handle.update(settings.handle_days)
    return Policy(
        accept_days=settings.accept_days
        if settings.accept_days is not None
        else int(raw["accept_days"]),
        handle_days=handle,
        soon_due_days=(
            settings.soon_due_days
            if settings.soon_due_days is not None
            else int(raw["soon_due_days"])
        ),
        timezone=settings.timezone,
    )


def _end_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def due_after(
    start: datetime, working_days: int, pol: Policy, cal: Calendar | None = None
) -> datetime:
    """End of the `working_days`-th working day after `start` (local time, returned aware)."""
    tz = ZoneInfo(pol.timezone)
    cal = cal or calendar()
    return _end_of(cal.add_working_days(start.astimezone(tz).date(), working_days), tz)


def accept_due(created: datetime, pol: Policy, cal: Calendar | None = None) -> datetime:
    return due_after(created, pol.accept_days, pol, cal)


def handle_due(
    accepted: datetime, categories: Sequence[str], pol: Policy, cal: Calendar | None = None
) -> datetime:
    return due_after(accepted, pol.handle_days_for(categories), pol, cal)


def flag(
    due: datetime | None,
    now: datetime,
    *,
    finished: bool,
    pol: Policy,
    cal: Calendar | None = None,
) -> Flag:
    """overdue / soon (临期, within soon_due_days working days) / ok / done."""
    if finished or due is None:
        return "done"
    if now > due:
        return "overdue"
    tz = ZoneInfo(pol.timezone)
    cal = cal or calendar()
    left = cal.working_days_between(now.astimezone(tz).date(), due.astimezone(tz).date())
    return "soon" if left <= pol.soon_due_days else "ok"


def soon_cutoff(now: datetime, pol: Policy, cal: Calendar | None = None) -> datetime:
    """Issues due before this moment are 临期 (or overdue): the SQL side of `flag`."""
    return due_after(now, pol.soon_due_days, pol, cal)


FLAG_LABELS: dict[Flag, str] = {"overdue": "已超期", "soon": "临期", "ok": "正常", "done": "—"}
