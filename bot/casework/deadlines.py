"""办理时限: working-day deadlines for accepting and handling issues, and overdue flags.

Accept within 1 working day of registration; handle within N working days of acceptance, N per
category and per registration source (bot/data/deadlines.yml, overridable in settings); an item a
source handed over (督察交办) counts from its hand-over time. Weekends, public holidays and 调休
make-up working days come from bot/data/holidays.yml. A deadline is the end of the last working
day (23:59:59 local time), which is how offices read "5个工作日内".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, cast
from zoneinfo import ZoneInfo

from bot import datafiles, texts
from bot.casework.catalog import categories
from bot.casework.sources import sources
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


@dataclass(frozen=True)
class DateRange:
    """`{from: 2025-01-28, to: 2025-02-04}`: both days included."""

    from_: date
    to: date

    def __post_init__(self) -> None:
        if self.to < self.from_:
            raise datafiles.Invalid("the range ends before it starts", "to")

    def days(self) -> list[date]:
        return [self.from_ + timedelta(days=n) for n in range((self.to - self.from_).days + 1)]


@dataclass(frozen=True)
class HolidaysFile:
    """bot/data/holidays.yml: make-up working days are weekend days, and no day is both."""

    holidays: list[date | DateRange] = field(default_factory=list)
    workdays: list[date | DateRange] = field(default_factory=list)

    def __post_init__(self) -> None:
        off = _days(self.holidays)
        for i, entry in enumerate(self.workdays):
            for day in entry.days() if isinstance(entry, DateRange) else [entry]:
                if day.weekday() < 5:
                    raise datafiles.Invalid(f"{day} is not a weekend day", "workdays", i)
                if day in off:
                    raise datafiles.Invalid(f"{day} is listed as a holiday too", "workdays", i)


def _days(entries: Iterable[date | DateRange]) -> set[date]:
    out: set[date] = set()
    for entry in entries:
        if isinstance(entry, DateRange):
            out.update(entry.days())
        else:
            out.add(entry)
    return out


@lru_cache(maxsize=1)
def calendar() -> Calendar:
    loaded = datafiles.load(DATA_DIR / "holidays.yml", HolidaysFile)
    return Calendar(
        holidays=frozenset(_days(loaded.holidays)), workdays=frozenset(_days(loaded.workdays))
    )


@dataclass(frozen=True)
class Policy:
    accept_days: int
    handle_days: dict[str, int]
    soon_due_days: int
    timezone: str = "Asia/Shanghai"
    #: 办理 limits by registration source (bot/data/sources.yml).
    source_days: dict[str, int] = field(default_factory=dict)

    def handle_days_for(self, categories: Sequence[str], source: str | None = None) -> int:
        """The shortest limit among the issue's categories and its source: the stricter wins."""
        default = self.handle_days.get("default", 15)
        limits = [self.handle_days.get(c, default) for c in categories] or [default]
        if source in self.source_days:
            limits.append(self.source_days[source])
        return min(limits)


@dataclass(frozen=True)
class DeadlinesFile:
    """bot/data/deadlines.yml: day counts are positive; handle_days names known categories."""

    accept_days: int
    soon_due_days: int
    handle_days: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        named = sources()
        for name, days in self.sources.items():
            if name not in named:
                raise datafiles.Invalid(f"{name} is not a source of sources.yml", "sources", name)
            if days < 1:
                raise datafiles.Invalid("must be at least 1 working day", "sources", name)
        if self.accept_days < 1:
            raise datafiles.Invalid("must be at least 1 working day", "accept_days")
        if self.soon_due_days < 0:
            raise datafiles.Invalid("must not be negative", "soon_due_days")
        known = categories()
        for name, days in self.handle_days.items():
            if name != "default" and name not in known:
                raise datafiles.Invalid(
                    f"{name} is not a category of categories.yml", "handle_days", name
                )
            if days < 1:
                raise datafiles.Invalid("must be at least 1 working day", "handle_days", name)


@lru_cache(maxsize=1)
def deadlines_file() -> DeadlinesFile:
    return datafiles.load(DATA_DIR / "deadlines.yml", DeadlinesFile)


def policy(settings: Settings | None = None) -> Policy:
    """Defaults from deadlines.yml, overridden by settings (GW_ACCEPT_DAYS, GW_HANDLE_DAYS…)."""
    settings = settings or get_settings()
    loaded = deadlines_file()
    handle = dict(loaded.handle_days)
    handle.update(settings.handle_days)
    return Policy(
        accept_days=settings.accept_days
        if settings.accept_days is not None
        else loaded.accept_days,
        handle_days=handle,
        soon_due_days=(
            settings.soon_due_days if settings.soon_due_days is not None else loaded.soon_due_days
        ),
        timezone=settings.timezone,
        source_days=dict(loaded.sources),
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
    accepted: datetime,
    categories: Sequence[str],
    pol: Policy,
    cal: Calendar | None = None,
    *,
    source: str | None = None,
    handed_over: datetime | None = None,
) -> datetime:
    """From acceptance, or from the hand-over when the source handed the item over earlier (an
    inspection team's clock starts when it hands the batch over, not when the city accepts it)."""
    start = min(accepted, handed_over) if handed_over is not None else accepted
    return due_after(start, pol.handle_days_for(categories, source), pol, cal)


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


#: How the console shows a flag (staff.yml casework.deadline_flags).
FLAG_LABELS = cast(dict[Flag, str], texts.table("staff", "casework.deadline_flags"))
