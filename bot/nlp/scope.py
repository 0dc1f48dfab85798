"""Is it ours? One topic table (bot/data/scope.yml) for the chat and the hotline.

`decide(text, types)` reads a message and the pollution types extraction found in it, and says
whether the matter is ours, borderline (filed, with the rule shown to staff), elsewhere (not
filed; the citizen is told where to go) or not clear. The table, and the order of the decision,
are explained at the top of the YAML file. Plain substring and `re` matching over the table:
the words are the office's to edit, and the classifier of the extraction pipeline may only
add to them (bot/nlp/pipeline), so the table is the backstop that always runs, in both runtimes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from bot import datafiles
from bot.datafiles import Word

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "scope.yml"
#: The catch-all type: a vague word gives it, so it never outweighs an elsewhere topic.
OTHER = "其他"
#: The pollution types a topic may explain away (the extraction's labels).
TYPES = frozenset(
    {"大气", "水", "噪声", "土壤", "生态", "固废", "辐射", "海洋", "其他", "油烟", "扬尘"}
)

Verdict = Literal["ours", "borderline", "elsewhere", "unclear"]


@dataclass(frozen=True)
class Topic:
    """One row of the table; `tell` (citizen) and `agent` for elsewhere, `rule` for borderline."""

    key: str
    verdict: Literal["elsewhere", "borderline"]
    target: str
    words: list[Word]
    explains: list[str]
    patterns: list[str] = field(default_factory=list)
    tell: str = ""
    agent: str = ""
    rule: str = ""

    def __post_init__(self) -> None:
        for i, pattern in enumerate(self.patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise datafiles.Invalid(f"not a regular expression: {exc}", "patterns", i) from None
        unknown = [t for t in self.explains if t not in TYPES]
        if unknown:
            raise datafiles.Invalid(f"not a pollution type: {', '.join(unknown)}", "explains")
        if self.verdict == "elsewhere" and not (self.tell and self.agent):
            raise datafiles.Invalid("an elsewhere topic needs `tell` and `agent`", "tell")
        if self.verdict == "borderline" and not self.rule:
            raise datafiles.Invalid("a borderline topic needs `rule`", "rule")


@dataclass(frozen=True)
class ScopeFile:
    """bot/data/scope.yml: the topics, checked (patterns compile, types are known, texts set)."""

    topics: list[Topic]

    def __post_init__(self) -> None:
        keys = [t.key for t in self.topics]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise datafiles.Invalid(f"topic keys used twice: {', '.join(duplicated)}", "topics")


@dataclass(frozen=True)
class Scope:
    """The decision: the verdict, the topic that decided it (None for ours/unclear) and the
    word or pattern that matched it."""

    verdict: Verdict
    topic: Topic | None = None
    matched: str = ""

    @property
    def ours(self) -> bool:
        return self.verdict in ("ours", "borderline")


@lru_cache(maxsize=1)
def scope_file() -> ScopeFile:
    return datafiles.load(DATA_FILE, ScopeFile)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Topic, tuple[re.Pattern[str], ...]], ...]:
    return tuple((t, tuple(re.compile(p) for p in t.patterns)) for t in scope_file().topics)


def matches(text: str) -> list[tuple[Topic, str]]:
    """The topics the text names, in table order, each with the first word that matched."""
    out: list[tuple[Topic, str]] = []
    for topic, patterns in _compiled():
        word: str | None = next((w for w in topic.words if w in text), None)
        if word is None:
            m = next((m for p in patterns if (m := p.search(text))), None)
            word = m.group(0) if m else None
        if word is not None:
            out.append((topic, word))
    return out


def decide(text: str, types: Iterable[str]) -> Scope:
    """Ours, borderline, elsewhere or unclear for a message and the pollution types found in it."""
    found = [t for t in dict.fromkeys(types) if t in TYPES]
    hits = matches(text or "")
    elsewhere = [(t, w) for t, w in hits if t.verdict == "elsewhere"]
    borderline = [(t, w) for t, w in hits if t.verdict == "borderline"]
    explained = {c for t, _ in elsewhere for c in t.explains} | {OTHER}
    unexplained = [c for c in found if c not in explained]
    if elsewhere and not unexplained:
        topic, word = elsewhere[0]
        return Scope("elsewhere", topic, word)
    if found:
        if borderline:
            topic, word = borderline[0]
            return Scope("borderline", topic, word)
        return Scope("ours")
    if borderline:
        topic, word = borderline[0]
        return Scope("borderline", topic, word)
    return Scope("unclear")
