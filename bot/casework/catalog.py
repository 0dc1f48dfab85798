"""Categories and statuses, loaded from the YAML files under bot/data (data is data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from bot.config import DATA_DIR


@dataclass(frozen=True)
class Category:
    name: str
    service_code: str
    description: str
    parent: str | None = None

    @property
    def top(self) -> str:
        """The category counted in statistics: 油烟 and 扬尘 count as 大气."""
        return self.parent or self.name


@dataclass(frozen=True)
class Status:
    code: str
    label: str
    open: bool
    citizen: str


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    raw = yaml.safe_load((DATA_DIR / "categories.yml").read_text(encoding="utf-8"))
    return {c["name"]: Category(**c) for c in raw["categories"]}


@lru_cache(maxsize=1)
def statuses() -> dict[str, Status]:
    raw = yaml.safe_load((DATA_DIR / "statuses.yml").read_text(encoding="utf-8"))
    return {code: Status(code=code, **v) for code, v in raw["statuses"].items()}


def category_by_service_code(code: str) -> Category | None:
    return next((c for c in categories().values() if c.service_code == code), None)
