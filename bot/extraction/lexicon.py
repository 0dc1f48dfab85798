"""Pollution types from a lexicon of phenomena (bot/data/extraction/lexicon.yml), with negation."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
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
    #: A context word (河道, 扰民, 垃圾房) that does not count: its sentence names another type
    #: with a phenomenon word and no booster stands next to it.
    dropped: bool = False
    #: A context word (see lexicon.yml `weak`) rather than a phenomenon word.
    context: bool = False

    @property
    def counts(self) -> bool:
        return not self.negated and not self.dropped


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
    weak: dict[str, tuple[str, ...]]  # context word → boosters
    boost_window: int
    #: (regex, fine type, weak, absorbs): an absorbing phrase replaces the words inside it
    #: (焚烧工业垃圾 is burning, 大气, not a 垃圾 complaint).
    patterns: tuple[tuple[re.Pattern[str], str, bool, bool], ...]

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
            weak={str(k): tuple(v or ()) for k, v in (raw.get("weak") or {}).items()},
            boost_window=int(raw.get("boost_window", 6)),
            patterns=tuple(
                (re.compile(p["re"]), str(p["type"]), bool(p.get("weak")), bool(p.get("absorbs")))
                for p in raw.get("patterns") or ()
            ),
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


_SENTENCE_END = "。！？!?；;\n"
_CLAUSE_END = "，,。！？!?；;\n、"


def find(text: str) -> list[Hit]:
    """Phenomenon words in text order, longest match first, each marked negated or not, and
    context words marked `dropped` where their sentence says something more specific."""
    lex = lexicon()
    hits = _scan(text, lex)
    for pattern, fine, weak, absorbs in lex.patterns:
        for m in pattern.finditer(text):
            if absorbs:
                hits = [h for h in hits if not (m.start() <= h.start and h.end <= m.end())]
            elif not weak:
                # 「占用三百多亩永久耕地」: the phrase is the phenomenon; the context word inside it
                # (耕地, whose booster 占 may stand too far away) gives way to it.
                hits = [
                    h
                    for h in hits
                    if not (
                        m.start() <= h.start
                        and h.end <= m.end()
                        and h.fine_type == fine
                        and (h.context or h.word in lex.weak)
                    )
                ]
            if not any(
                h.start < m.end() and m.start() < h.end and h.fine_type == fine for h in hits
            ):
                negated = _negated(text, m.start(), lex)
                hits.append(Hit(m.group(0), fine, m.start(), m.end(), negated, context=weak))
    hits.sort(key=lambda h: h.start)
    return _drop_context(text, hits, lex)


def _boosted(text: str, h: Hit, lex: Lexicon) -> bool:
    boosters = lex.weak.get(h.word, ())
    if not boosters:
        return False
    w = lex.boost_window
    before = text[max(0, h.start - w) : h.start]
    after = text[h.end : h.end + w]
    for stop in _CLAUSE_END:
        cut = before.rfind(stop)
        if cut >= 0:
            before = before[cut + 1 :]
        cut = after.find(stop)
        if cut >= 0:
            after = after[:cut]
    return any(b in before or b in after for b in boosters)


def _drop_context(text: str, hits: list[Hit], lex: Lexicon) -> list[Hit]:
    weak = [(h.context or h.word in lex.weak) and not _boosted(text, h, lex) for h in hits]
    if not any(weak):
        return hits
    bounds = [0] + [i + 1 for i, ch in enumerate(text) if ch in _SENTENCE_END] + [len(text) + 1]
    out: list[Hit] = []
    for h, is_weak in zip(hits, weak, strict=True):
        if is_weak and not h.negated:
            lo = max(b for b in bounds if b <= h.start)
            hi = min(b for b in bounds if b > h.start)
            cat = lex.category(h.fine_type)
            other = any(
                lo <= o.start < hi
                and not o.negated
                and not w
                and lex.category(o.fine_type) not in (cat, "其他")
                for o, w in zip(hits, weak, strict=True)
            )
            if other:
                h = replace(h, dropped=True)
        out.append(h)
    return out


def _scan(text: str, lex: Lexicon) -> list[Hit]:
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
        if not h.counts:
            continue
        if h.fine_type not in fine:
            fine.append(h.fine_type)
        cat = lex.category(h.fine_type)
        if cat not in cats:
            cats.append(cat)
    return fine, cats
