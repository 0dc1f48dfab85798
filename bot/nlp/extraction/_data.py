"""Extraction's data files: where they live, their shapes (checked when loaded), cached loaders.

The YAML files are read into the dataclasses below through bot.datafiles (standard library only,
as both runtimes load them), so a typo fails with the file and line before any text is extracted.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from bot import datafiles
from bot.datafiles import Word

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "extraction"

T = TypeVar("T")

_loaded: dict[tuple[str, type], Any] = {}


def data_path(name: str) -> Path:
    return DATA_DIR / name


def load_yaml(name: str, schema: type[T]) -> T:
    """A YAML file under bot/data/extraction/ read into `schema` (checked), once per process."""
    if (name, schema) not in _loaded:
        _loaded[name, schema] = datafiles.load(data_path(name), schema)
    return cast(T, _loaded[name, schema])


def read_csv(name: str) -> list[dict[str, str]]:
    with data_path(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class TimesFile:
    """bot/data/extraction/times.yml: words of times, and words that may follow one."""

    frequency: list[Word]
    day_part: list[Word]
    day: list[Word]
    trailer: list[Word]


def times_file() -> TimesFile:
    return load_yaml("times.yml", TimesFile)


@dataclass(frozen=True)
class PollutersFile:
    """bot/data/extraction/polluters.yml (each list is explained in the file)."""

    suffixes: list[Word]
    stop_words: list[Word]
    generic: list[Word]
    break_chars: str
    max_len: int
    facility_suffixes: list[Word] = field(default_factory=list)
    not_names: list[Word] = field(default_factory=list)
    not_places: list[Word] = field(default_factory=list)
    continues_as_place: list[Word] = field(default_factory=list)
    exonerated_after: list[Word] = field(default_factory=list)
    kind_heads: list[Word] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.suffixes:
            raise datafiles.Invalid("needs at least one suffix", "suffixes")
        if not self.break_chars:
            raise datafiles.Invalid("needs at least one character", "break_chars")
        if self.max_len < 2:
            raise datafiles.Invalid("a name has at least 2 characters", "max_len")


def polluters_file() -> PollutersFile:
    return load_yaml("polluters.yml", PollutersFile)


@dataclass(frozen=True)
class PatternEntry:
    """A phrase with a gap (`re`), its fine type; `weak`: a context phrase; `absorbs`: the words
    inside it no longer count on their own."""

    re: str
    type: str
    weak: bool = False
    absorbs: bool = False


@dataclass(frozen=True)
class DeniedAfter:
    adverbs: list[Word] = field(default_factory=list)
    denials: list[Word] = field(default_factory=list)


@dataclass(frozen=True)
class WaterSmell:
    smells: list[Word] = field(default_factory=list)
    sources: list[Word] = field(default_factory=list)
    not_sources: list[Word] = field(default_factory=list)


@dataclass(frozen=True)
class LexiconFile:
    """bot/data/extraction/lexicon.yml (each key is explained in the file). Checked: every fine
    type counts as a listed category, patterns compile and name a fine type."""

    types: dict[str, list[Word]]
    categories: list[str]
    parents: dict[str, str] = field(default_factory=dict)
    negators: list[Word] = field(default_factory=list)
    negation_gap: int = 2
    not_negation: list[Word] = field(default_factory=list)
    denied_after: DeniedAfter = field(default_factory=DeniedAfter)
    conditions: list[Word] = field(default_factory=list)
    blockers: dict[str, list[Word]] = field(default_factory=dict)
    boost_window: int = 6
    weak: dict[str, list[Word]] = field(default_factory=dict)
    place_words: list[Word] = field(default_factory=list)
    patterns: list[PatternEntry] = field(default_factory=list)
    fresh_water: list[Word] = field(default_factory=list)
    water_smell: WaterSmell = field(default_factory=WaterSmell)
    #: Words with which a writer corrects what they just said (说错了, 不对): the place named
    #: after the last of them wins (bot/nlp/extraction/pipeline.py).
    self_corrections: list[Word] = field(default_factory=list)

    def __post_init__(self) -> None:
        for fine, parent in self.parents.items():
            if fine not in self.types:
                raise datafiles.Invalid(f"{fine} is not a type of `types`", "parents", fine)
            if parent not in self.categories:
                raise datafiles.Invalid(f"{parent} is not in `categories`", "parents", fine)
        for fine in self.types:
            if self.parents.get(fine, fine) not in self.categories:
                raise datafiles.Invalid(
                    f"{fine} is not in `categories` (nor has a parent)", "types", fine
                )
        for key in ("negation_gap", "boost_window"):
            if getattr(self, key) < 0:
                raise datafiles.Invalid("must not be negative", key)
        for i, p in enumerate(self.patterns):
            if p.type not in self.types:
                raise datafiles.Invalid(f"{p.type} is not a type of `types`", "patterns", i, "type")
            try:
                re.compile(p.re)
            except re.error as exc:
                raise datafiles.Invalid(
                    f"not a regular expression: {exc}", "patterns", i, "re"
                ) from None


def lexicon_file() -> LexiconFile:
    return load_yaml("lexicon.yml", LexiconFile)


@dataclass(frozen=True)
class PlacePhrasesFile:
    """bot/data/extraction/place_phrases.yml: what counts as a place phrase when places are learnt
    from staff corrections (bot/nlp/pipeline/learnt_places.py; each list is explained in the file)."""

    suffixes: list[Word]
    cues_before: list[Word]
    cues_after: list[Word]
    stop_words: list[Word]
    generic: list[Word] = field(default_factory=list)
    generic_stems: list[Word] = field(default_factory=list)
    generic_heads: list[Word] = field(default_factory=list)
    common_word_freq: int = 20
    min_len: int = 3
    max_len: int = 10

    def __post_init__(self) -> None:
        if not self.suffixes:
            raise datafiles.Invalid("needs at least one suffix", "suffixes")
        if self.min_len < 2:
            raise datafiles.Invalid("a phrase has at least 2 characters", "min_len")
        if self.max_len < self.min_len:
            raise datafiles.Invalid("must be at least min_len", "max_len")


def place_phrases_file() -> PlacePhrasesFile:
    return load_yaml("place_phrases.yml", PlacePhrasesFile)
