"""Pollution types from a lexicon of phenomena (bot/data/extraction/lexicon.yml), with negation."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from bot.extraction._data import load_yaml

_lock = threading.Lock()


@dataclass(frozen=True)
class Hit:
    word: str
    fine_type: str
    start: int
    end: int
    negated: bool


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, str]  # phenomenon → fine type
    lengths: tuple[int, ...]  # word lengths, longest first
    first_chars: frozenset[str]
    parents: dict[str, str]
    categories: tuple[str, ...]
    negators: tuple[str, ...]
    negation_gap: int
    not_negation: tuple[str, ...]
    blockers: dict[str, tuple[str, ...]]

    def category(self, fine_type: str) -> str:
        return self.parents.get(fine_type, fine_type)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    with _lock:
        raw = load_yaml("lexicon.yml")
        words: dict[str, str] = {}
        for fine, phenomena in raw["types"].items():
            for w in phenomena:
                words.setdefault(str(w), fine)
        return Lexicon(
            words=words,
            lengths=tuple(sorted({len(w) for w in words}, reverse=True)),
            first_chars=frozenset(w[0] for w in words),
            parents=dict(raw.get("parents", {})),
            categories=tuple(raw["categories"]),
            negators=tuple(sorted(raw.get("negators", []), key=len, reverse=True)),
            negation_gap=int(raw.get("negation_gap", 2)),
            not_negation=tuple(raw.get("not_negation", [])),
            blockers={k: tuple(v or ()) for k, v in (raw.get("blockers") or {}).items()},
        )


def _negated(text: str, start: int, lex: Lexicon) -> bool:
    """True when a negator stands at most `negation_gap` characters before `start` in its clause."""
    window_start = max(0, start - lex.negation_gap - 3)
    window = text[window_start:start]
    for stop in "，。；;！!？?,\n":
        cut = window.rfind(stop)
        if cut >= 0:
            window = window[cut + 1 :]
    for neg in lex.negators:
        pos = window.rfind(neg)
        if pos < 0:
            continue
        gap = len(window) - (pos + len(neg))
        if gap > lex.negation_gap:
            continue
        tail = window[pos:] + text[start : start + 4]
        if any(tail.startswith(nn) for nn in lex.not_negation):
            continue
        # 不是噪音是臭味: 不是 negates the word before the second 是 only.
        between = window[pos + len(neg) :]
        if "是" in between or "而" in between:
            continue
        return True
    return False


def find(text: str) -> list[Hit]:
    """Phenomenon words in text order, longest match first, each marked negated or not."""
    lex = lexicon()
    hits: list[Hit] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] not in lex.first_chars:
            i += 1
            continue
        for length in lex.lengths:
            if i + length > n:
                continue
            word = text[i : i + length]
            fine = lex.words.get(word)
            if fine is None:
                continue
            blocked = any(
                b in text[max(0, i - len(b)) : i + len(b) + length]
                for b in lex.blockers.get(word, ())
            )
            if blocked:
                continue
            hits.append(Hit(word, fine, i, i + length, _negated(text, i, lex)))
            i += length
            break
        else:
            i += 1
    return hits


def types_of(hits: list[Hit]) -> tuple[list[str], list[str]]:
    """(fine types, categories) of the non-negated hits, in order of first appearance."""
    lex = lexicon()
    fine: list[str] = []
    cats: list[str] = []
    for h in hits:
        if h.negated:
            continue
        if h.fine_type not in fine:
            fine.append(h.fine_type)
        cat = lex.category(h.fine_type)
        if cat not in cats:
            cats.append(cat)
    return fine, cats
