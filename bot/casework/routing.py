"""Routing (分办) by the responsibility list (责任清单): which department, which district.

The list is data (bot/data/responsibility.yml): rules tried in order, first match wins, a
default rule at the end. The proposal keeps the rule that matched so staff see *why* an issue
went to a department and can override it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot import datafiles, texts
from bot.casework.catalog import categories
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


@dataclass(frozen=True)
class RuleEntry:
    id: str
    name: str
    department: str
    categories: list[str] = field(default_factory=list)
    keywords: list[datafiles.Word] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    default: bool = False


@dataclass(frozen=True)
class ResponsibilityFile:
    """bot/data/responsibility.yml: ids unique, categories known, departments listed, and one
    default rule, the last, that matches everything (so every issue gets a department)."""

    rules: list[RuleEntry]
    departments: list[str] | None = None

    def __post_init__(self) -> None:
        if not self.rules or not self.rules[-1].default:
            last = ("rules", len(self.rules) - 1) if self.rules else ("rules",)
            raise datafiles.Invalid("the last rule must be the default (default: true)", *last)
        known, ids = categories(), set()
        for i, rule in enumerate(self.rules):
            if rule.id in ids:
                raise datafiles.Invalid(f"rule id {rule.id} is used twice", "rules", i, "id")
            ids.add(rule.id)
            if rule.default and i != len(self.rules) - 1:
                raise datafiles.Invalid("only the last rule may be the default", "rules", i)
            if rule.default and (rule.categories or rule.keywords or rule.districts):
                raise datafiles.Invalid("the default rule must match everything", "rules", i)
            for j, name in enumerate(rule.categories):
                if name not in known:
                    raise datafiles.Invalid(
                        f"{name} is not a category of categories.yml", "rules", i, "categories", j
                    )
            if self.departments and rule.department not in self.departments:
                raise datafiles.Invalid(
                    f"{rule.department} is not listed in departments", "rules", i, "department"
                )


def load(path: Path = RESPONSIBILITY_FILE) -> Responsibility:
    loaded = datafiles.load(path, ResponsibilityFile)
    rules = tuple(
        Rule(
            id=r.id,
            name=r.name,
            department=r.department,
            categories=tuple(r.categories),
            keywords=tuple(r.keywords),
            districts=tuple(r.districts),
            default=r.default,
        )
        for r in loaded.rules
    )
    departments = tuple(loaded.departments or dict.fromkeys(r.department for r in rules))
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
        because = texts.text("staff", "casework.routing.keyword", keyword=hit) if hit else ""
        explanation = texts.text(
            "staff", "casework.routing.explanation", rule=rule.id, name=rule.name, because=because
        )
        return RouteProposal(
            department=rule.department, district=district, rule_id=rule.id, explanation=explanation
        )
    raise AssertionError("unreachable: the default rule matches everything")  # pragma: no cover


def route_text(phenomenon: str, polluter: str | None, address: str | None) -> str:
    """The words the keywords are looked for in."""
    return " ".join(p for p in (phenomenon, polluter, address) if p)
