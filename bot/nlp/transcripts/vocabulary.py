"""The words and patterns of hotline calls (bot/data/hotline.yml), loaded once per process.

Speaker labels, cue phrases, fillers, dialect and the regular expressions built from them live in
data so that a new deployment extends the YAML, not the parser.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot import datafiles
from bot.datafiles import Word

logger = logging.getLogger(__name__)

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "hotline.yml"

#: A timestamp before or after a speaker label: 00:01, [00:00:05], （12:30.5）.
TIMESTAMP = r"[\[【(（]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\]】)）]?"


@dataclass(frozen=True)
class Vocabulary:
    """bot/data/hotline.yml as Python values; word lists longest first (for matching)."""

    agent_labels: frozenset[str]
    caller_labels: frozenset[str]
    summary_heads: tuple[str, ...]
    agent_cues: tuple[str, ...]
    caller_cues: tuple[str, ...]
    fillers: tuple[str, ...]
    inline_fillers: tuple[str, ...]
    dialect: dict[str, str]
    correction_cues: tuple[str, ...]
    anonymity_cues: tuple[str, ...]
    evidence_yes: tuple[str, ...]
    evidence_no: tuple[str, ...]
    second_problem_cues: tuple[str, ...]
    #: `patterns:` of the data file: regular expressions, word lists and single words.
    neutral_labels: str
    summary_prefixes: tuple[str, ...]
    utterance_openers: tuple[str, ...]
    greetings: tuple[str, ...]
    agent_address: str
    caller_first_person: str
    acknowledgement: str
    correction_fallback: str
    correction_tail: str
    not_anonymous: str


def _longest_first(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(w) for w in words}, key=len, reverse=True))


def _in_order(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(w) for w in words)


@dataclass(frozen=True)
class Speakers:
    agent: list[Word]
    caller: list[Word]


#: The keys of `patterns:` that are regular expressions.
REGEX_KEYS = (
    "neutral_labels",
    "caller_first_person",
    "acknowledgement",
    "correction_tail",
    "not_anonymous",
)


@dataclass(frozen=True)
class PatternsSection:
    """`patterns:` of hotline.yml: regular expressions (checked to compile) and word lists."""

    neutral_labels: str
    summary_prefixes: list[Word]
    utterance_openers: list[Word]
    greetings: list[Word]
    agent_address: Word
    caller_first_person: str
    acknowledgement: str
    correction_fallback: Word
    correction_tail: str
    not_anonymous: str

    def __post_init__(self) -> None:
        for key in REGEX_KEYS:
            try:
                re.compile(getattr(self, key))
            except re.error as exc:
                raise datafiles.Invalid(f"not a regular expression: {exc}", key) from None
        if "tail" not in re.compile(self.correction_tail).groupindex:
            raise datafiles.Invalid("needs a group (?P<tail>…)", "correction_tail")


@dataclass(frozen=True)
class HotlineFile:
    """bot/data/hotline.yml (each key is explained in the file). Checked: the regular expressions
    compile. (Where a call that is not ours goes is bot/data/scope.yml, shared with the chat.)"""

    speakers: Speakers
    summary_heads: list[Word]
    agent_cues: list[Word]
    caller_cues: list[Word]
    fillers: list[Word]
    inline_fillers: list[Word]
    dialect: dict[str, Word]
    correction_cues: list[Word]
    anonymity_cues: list[Word]
    evidence_yes: list[Word]
    evidence_no: list[Word]
    second_problem_cues: list[Word]
    patterns: PatternsSection
    warm_up: str


@lru_cache(maxsize=1)
def hotline_file() -> HotlineFile:
    return datafiles.load(DATA_FILE, HotlineFile)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = hotline_file()
    pat = raw.patterns
    return Vocabulary(
        agent_labels=frozenset(raw.speakers.agent),
        caller_labels=frozenset(raw.speakers.caller),
        summary_heads=_longest_first(raw.summary_heads),
        agent_cues=_longest_first(raw.agent_cues),
        caller_cues=_longest_first(raw.caller_cues),
        fillers=_longest_first(raw.fillers),
        inline_fillers=_longest_first(raw.inline_fillers),
        dialect=dict(raw.dialect),
        correction_cues=_longest_first(raw.correction_cues),
        anonymity_cues=_longest_first(raw.anonymity_cues),
        evidence_yes=_longest_first(raw.evidence_yes),
        evidence_no=_longest_first(raw.evidence_no),
        second_problem_cues=_longest_first(raw.second_problem_cues),
        neutral_labels=pat.neutral_labels,
        summary_prefixes=_in_order(pat.summary_prefixes),
        utterance_openers=_in_order(pat.utterance_openers),
        greetings=_in_order(pat.greetings),
        agent_address=pat.agent_address,
        caller_first_person=pat.caller_first_person,
        acknowledgement=pat.acknowledgement,
        correction_fallback=pat.correction_fallback,
        correction_tail=pat.correction_tail,
        not_anonymous=pat.not_anonymous,
    )


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in words)


@lru_cache(maxsize=1)
def patterns() -> dict[str, re.Pattern[str]]:
    """The compiled expressions of the parser and the draft, built from the vocabulary."""
    v = vocabulary()
    named = _alternatives(_longest_first(v.agent_labels | v.caller_labels))
    ts = TIMESTAMP
    label = rf"(?P<label>{named}|{v.neutral_labels})(?:[（(][^）)\n]{{1,8}}[）)])?"
    fillers = _alternatives(v.fillers)
    greetings = _alternatives(v.greetings)
    return {
        "timestamp": re.compile(ts),
        # A speaker label at the start of a line or after a pause/punctuation, then a colon.
        "label": re.compile(
            rf"(?:(?<=^)|(?<=\n)|(?<=[\s。！？!?，,；;]))(?:{ts}\s*)?{label}\s*(?:{ts}\s*)?[：:]",
        ),
        "summary": re.compile(
            r"^\s*(?:"
            + _alternatives(v.summary_prefixes)
            + r")?[：:]?\s*(?:"
            + _alternatives(v.summary_heads)
            + r")\s*[：:，,]?"
        ),
        "sentence": re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*"),
        "clause": re.compile(r"[^，,。！？!?；;\n]+[，,。！？!?；;]*"),
        "words": re.compile(r"\S+"),
        "stt_break": re.compile(r"(?=" + _alternatives(v.utterance_openers) + ")"),
        "fillers": re.compile(
            rf"(?:(?<=^)|(?<=[，,。！？!?；;\s]))(?:{fillers})+(?:[，,、…\s]+|$)"
        ),
        "lead_fillers": re.compile(rf"^(?:(?:{fillers})+[，,、…\s]*|(?:{greetings})[，,、\s]+)+"),
        "correction_tail": re.compile(v.correction_tail),
        "first_person": re.compile(v.caller_first_person),
        "acknowledgement": re.compile(v.acknowledgement),
        "not_anonymous": re.compile(v.not_anonymous),
    }


def warm_up_transcript() -> str:
    """A short call drafted at start-up so the first real call does not wait for the gazetteer."""
    return hotline_file().warm_up
