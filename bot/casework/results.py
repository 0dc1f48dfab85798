"""The results of an issue recorded at 办结, for publication (公开情况一览表, 曝光台).

调查核实情况, 是否属实, 处理和整改情况 and 责任人被处理情况 are captured with the change to
`resolved`. They are required for the sources listed in bot/data/disclosure.yml
(`results_required_for`: inspection-team hand-overs, published batch by batch) and optional for
the others. `check` is called before anything is written, so a missing required field changes
nothing; `record` writes them in the same transaction as the status change, each change audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from bot import datafiles, texts
from bot.casework.catalog import statuses
from bot.casework.models import FieldEdit, Issue
from bot.casework.origin import source_of
from bot.config import DATA_DIR
from bot.datafiles import Word
from bot.exceptions import InvalidTransition

logger = logging.getLogger(__name__)

#: The result fields in the published order, with the labels staff and the public read.
LABELS: dict[str, str] = texts.table("staff", "disclosure.fields")
#: Longest text a result field keeps (a published cell, not a report).
MAX_CHARS = 2000


@dataclass(frozen=True)
class DisclosureFile:
    """bot/data/disclosure.yml."""

    verdicts: list[Word]
    results_required_for: list[Word] = field(default_factory=list)
    published_statuses: list[Word] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.verdicts:
            raise datafiles.Invalid("at least one verdict is needed", "verdicts")
        for i, verdict in enumerate(self.verdicts):
            if len(verdict) > 8:
                raise datafiles.Invalid("a verdict has at most 8 characters", "verdicts", i)
        known = statuses()
        for i, code in enumerate(self.published_statuses):
            if code not in known:
                raise datafiles.Invalid(f"unknown status {code}", "published_statuses", i)
            if code in ("received", "accepted", "routed", "in_progress", "reopened", "merged"):
                raise datafiles.Invalid(
                    f"status {code} is not finished: never published", "published_statuses", i
                )


@lru_cache(maxsize=1)
def disclosure_file() -> DisclosureFile:
    return datafiles.load(DATA_DIR / "disclosure.yml", DisclosureFile)


def verdicts() -> tuple[str, ...]:
    """是否属实: the answers the 办结 form offers."""
    return tuple(disclosure_file().verdicts)


def required_sources() -> frozenset[str]:
    return frozenset(disclosure_file().results_required_for)


def published_statuses() -> tuple[str, ...]:
    """Statuses whose issues the public may see (and nothing else, ever)."""
    return tuple(disclosure_file().published_statuses)


@dataclass(frozen=True)
class Results:
    """What staff write at 办结; empty strings where nothing was given."""

    verification: str = ""
    verdict: str = ""
    rectification: str = ""
    accountability: str = ""

    def cleaned(self) -> Results:
        return replace(
            self, **{f.name: (getattr(self, f.name) or "").strip() for f in fields(self)}
        )

    def given(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


#: The field names, in order (the ORM columns have the same names).
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Results))


def required_for(issue: Any) -> bool:
    """Whether this issue (ORM or IssueView) may only be marked 办结 with every result filled in."""
    return source_of(issue) in required_sources()


def check(results: Results | None, *, required: bool, source: str = "") -> Results:
    """The results cleaned, or InvalidTransition with a Chinese reason naming what is wrong."""
    r = (results or Results()).cleaned()
    if r.verdict and r.verdict not in verdicts():
        raise InvalidTransition(
            texts.text("staff", "disclosure.errors.bad_verdict", verdicts="、".join(verdicts()))
        )
    for name in FIELDS:
        if len(getattr(r, name)) > MAX_CHARS:
            raise InvalidTransition(
                texts.text(
                    "staff", "disclosure.errors.too_long", field=LABELS[name], limit=MAX_CHARS
                )
            )
    if required:
        missing = [LABELS[name] for name in FIELDS if not getattr(r, name)]
        if missing:
            raise InvalidTransition(
                texts.text(
                    "staff", "disclosure.errors.missing", source=source, fields="、".join(missing)
                )
            )
    return r


def check_for(issue: Issue, results: Results | None) -> Results:
    """`check` with the issue's own rule (required for 督察交办 and the like)."""
    return check(results, required=required_for(issue), source=source_of(issue))


def record(session: Session, issue: Issue, results: Results, *, actor: str, now: datetime) -> None:
    """Writes checked results onto the issue; every changed field is audited (FieldEdit).

    Fields left empty keep what an earlier 办结 recorded (a reopened issue resolved again with
    only a new 处理和整改情况 keeps its 调查核实情况). An issue not resolved (a merged one that did
    not follow) is left alone.
    """
    if issue.status != "resolved":
        return
    for name in FIELDS:
        value = getattr(results, name) or None
        old = getattr(issue, name)
        if value is None or value == old:
            continue
        session.add(
            FieldEdit(
                issue_id=issue.id,
                at=now,
                actor=actor,
                field=name,
                old_value=old,
                new_value=value,
            )
        )
        setattr(issue, name, value)
