"""Routing (分办) by the responsibility list (责任清单): which department, which district.

The list is data (bot/data/responsibility.yml): rules tried in order, first match wins, a
default rule at the end. The proposal keeps the rule that matched so staff see *why* an issue
went to a department and can override it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import DATA_DIR

logger = logging.getLogger(__name__)

RESPONSIBILITY_FILE = DATA_DIR / "responsibility.yml"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    department: str
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    default: bool = False

    def matches(self, categories: Sequence[str], text: str, district: str | None) -> str | None:
        """The keyword that matched ('' when none was needed), or None when the rule does not apply."""
        if self.categories and not set(self.categories) & set(categories):
            return None
        if self.districts and (district or "") not in self.districts:
            return None
        if not self.keywords:
            return ""
        return next((k for k in self.keywords if k in text), None)


@dataclass(frozen=True)
class Responsibility:
    rules: tuple[Rule, ...]
    departments: tuple[str, ...]


@dataclass(frozen=True)
class RouteProposal:
    """Where an issue should go, and the rule that says so (shown to staff as-is)."""

    department: str
    district: str | None
    rule_id: str
    explanation: str


def load(path: Path = RESPONSIBILITY_FILE) -> Responsibility:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = tuple(
        Rule(
            id=str(r["id"]),
            name=str(r["name"]),
            department=str(r["department"]),
            categories=tuple(r.get("categories") or ()),
            keywords=tuple(r.get("keywords") or ()),
            districts=tuple(r.get("districts") or ()),
            default=bool(r.get("default", False)),
        )
        for r in raw["rules"]
    )
    if not rules or not rules[-1].default:
        raise ValueError(f"{path.name}: the last rule must be the default (default: true)")
    departments = tuple(raw.get("departments") or dict.fromkeys(r.department for r in rules))
    unknown = {r.department for r in rules} - set(departments)
    if unknown:
        raise ValueError(f"{path.name}: departments not listed: {sorted(unknown)}")
    return Responsibility(rules=rules, departments=departments)


@lru_cache(maxsize=1)
def responsibility() -> Responsibility:
    return load()


def departments() -> tuple[str, ...]:
    return responsibility().departments


def propose(
    categories: Sequence[str],
    *,
    text: str,
    district: str | None,
    table: Responsibility | None = None,
) -> RouteProposal:
    """The department for an issue: first matching rule; the district is the issue's own."""
    table = table or responsibility()
    for rule in table.rules:
        hit = rule.matches(categories, text, district)
        if hit is None:
            continue
        because = f"（关键词“{hit}”）" if hit else ""
        return RouteProposal(
            department=rule.department,
            district=district,
            rule_id=rule.id,
            explanation=f"责任清单 {rule.id}：{rule.name}{because}",
        )
    raise AssertionError("unreachable: the default rule matches everything")  # pragma: no cover


def route_text(phenomenon: str, polluter: str | None, address: str | None) -> str:
    """The words the keywords are looked for in."""
    return " ".join(p for p in (phenomenon, polluter, address) if p)
