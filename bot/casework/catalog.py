"""Categories and statuses, loaded from the YAML files under bot/data (data is data).

statuses.yml is read here and only here: the status labels, and the allowed changes between
them (`transitions`, `needs`) that bot/casework/lifecycle.py checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from bot import datafiles
from bot.config import DATA_DIR

#: Statuses the code names (new issues start `received`; `merged` follows another issue).
REQUIRED_STATUSES = ("received", "merged")


@dataclass(frozen=True)
class Category:
    """One entry of categories.yml (also its schema)."""

    name: str
    service_code: str
    description: str
    parent: str | None = None

    @property
    def top(self) -> str:
        """The category counted in statistics: 油烟 and 扬尘 count as 大气."""
        return self.parent or self.name


@dataclass(frozen=True)
class CategoriesFile:
    """bot/data/categories.yml: unique names and service codes; a parent is a top category."""

    categories: list[Category]

    def __post_init__(self) -> None:
        names: set[str] = set()
        codes: set[str] = set()
        tops = {c.name for c in self.categories if c.parent is None}
        for i, c in enumerate(self.categories):
            if c.name in names:
                raise datafiles.Invalid(f"category {c.name} is listed twice", "categories", i)
            if c.service_code in codes:
                raise datafiles.Invalid(
                    f"service code {c.service_code} is used twice", "categories", i
                )
            if c.parent is not None and c.parent not in tops:
                raise datafiles.Invalid(
                    f"parent {c.parent} is not a top category", "categories", i, "parent"
                )
            names.add(c.name)
            codes.add(c.service_code)


@dataclass(frozen=True)
class Status:
    code: str
    label: str
    open: bool
    citizen: str


@dataclass(frozen=True)
class StatusEntry:
    label: str
    open: bool
    citizen: str


@dataclass(frozen=True)
class TransitionEntry:
    to: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatusesFile:
    """bot/data/statuses.yml: transitions and needs name only statuses the file lists."""

    statuses: dict[str, StatusEntry]
    transitions: dict[str, TransitionEntry] = field(default_factory=dict)
    needs: dict[str, list[Literal["note", "department", "target"]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = self.statuses
        for code in REQUIRED_STATUSES:
            if code not in known:
                raise datafiles.Invalid(f"status {code} is missing (the code uses it)", "statuses")
        for code, entry in self.transitions.items():
            if code not in known:
                raise datafiles.Invalid(f"unknown status {code}", "transitions", code)
            for i, target in enumerate(entry.to):
                if target not in known:
                    raise datafiles.Invalid(
                        f"unknown status {target}", "transitions", code, "to", i
                    )
        for code in self.needs:
            if code not in known:
                raise datafiles.Invalid(f"unknown status {code}", "needs", code)


@dataclass(frozen=True)
class Transitions:
    """statuses.yml's `transitions` (allowed targets per status) and `needs` (per target)."""

    allowed: dict[str, tuple[str, ...]]
    needs: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    loaded = datafiles.load(DATA_DIR / "categories.yml", CategoriesFile)
    return {c.name: c for c in loaded.categories}


@lru_cache(maxsize=1)
def statuses_file() -> StatusesFile:
    return datafiles.load(DATA_DIR / "statuses.yml", StatusesFile)


@lru_cache(maxsize=1)
def statuses() -> dict[str, Status]:
    return {
        code: Status(code=code, label=s.label, open=s.open, citizen=s.citizen)
        for code, s in statuses_file().statuses.items()
    }


@lru_cache(maxsize=1)
def transitions() -> Transitions:
    loaded = statuses_file()
    return Transitions(
        allowed={k: tuple(v.to) for k, v in loaded.transitions.items()},
        needs={k: tuple(v) for k, v in loaded.needs.items()},
    )


def category_by_service_code(code: str) -> Category | None:
    return next((c for c in categories().values() if c.service_code == code), None)
