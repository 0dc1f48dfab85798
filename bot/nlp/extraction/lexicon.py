"""Pollution types from a lexicon of phenomena (bot/data/extraction/lexicon.yml), with negation."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.nlp.extraction._data import DeniedAfter, lexicon_file

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
    #: 噪音倒不大, 异味已经没有了: a denial right after the word (its adverbs allowed between).
    denied_after: re.Pattern[str] | None
    #: 如无手续, 若有异味: a condition, not a report.
    conditions: tuple[str, ...]
    blockers: dict[str, tuple[str, ...]]
    weak: dict[str, tuple[str, ...]]  # context word → boosters
    boost_window: int
    #: (regex, fine type, weak, absorbs): an absorbing phrase replaces the words inside it
    #: (焚烧工业垃圾 is burning, 大气, not a 垃圾 complaint).
    patterns: tuple[tuple[re.Pattern[str], str, bool, bool], ...]
    #: Smell words that describe polluted water when their sentence reports water pollution and
    #: names no other source of smell (`smell_sources`, an air or waste phenomenon).
    #: Context words naming a place affected (农田, 河道, 林地): they are the setting of whatever
    #: else the complaint reports, so they count only when the whole text names no other type.
    place_words: frozenset[str] = frozenset()
    water_smells: frozenset[str] = frozenset()
    smell_sources: tuple[str, ...] = ()
    #: Spans inside which a smell source does not count (海水养殖 is fish, not livestock).
    not_smell_sources: tuple[str, ...] = ()
    #: Fresh-water words: a sentence that names the sea keeps its 水 hits only with one of these.
    fresh_water: tuple[str, ...] = ()

    def category(self, fine_type: str) -> str:
        return self.parents.get(fine_type, fine_type)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    with _lock:
        raw = lexicon_file()
        words: dict[str, str] = {}
        for fine, phenomena in raw.types.items():
            for w in phenomena:
                words.setdefault(w, fine)
        smell = raw.water_smell
        return Lexicon(
            words=words,
            lengths=tuple(sorted({len(w) for w in words}, reverse=True)),
            first_chars=frozenset(w[0] for w in words),
            parents=dict(raw.parents),
            categories=tuple(raw.categories),
            negators=tuple(sorted(raw.negators, key=len, reverse=True)),
            negation_gap=raw.negation_gap,
            not_negation=tuple(raw.not_negation),
            denied_after=_denied_after_re(raw.denied_after),
            conditions=tuple(raw.conditions),
            blockers={k: tuple(v) for k, v in raw.blockers.items()},
            weak={k: tuple(v) for k, v in raw.weak.items()},
            boost_window=raw.boost_window,
            patterns=tuple((re.compile(p.re), p.type, p.weak, p.absorbs) for p in raw.patterns),
            place_words=frozenset(raw.place_words),
            water_smells=frozenset(smell.smells),
            smell_sources=tuple(smell.sources),
            not_smell_sources=tuple(smell.not_sources),
            fresh_water=tuple(raw.fresh_water),
        )


def _denied_after_re(raw: DeniedAfter) -> re.Pattern[str] | None:
    denials = sorted(raw.denials, key=len, reverse=True)
    if not denials:
        return None
    adverbs = sorted(raw.adverbs, key=len, reverse=True)
    adv = "|".join(map(re.escape, adverbs))
    return re.compile(rf"(?:{adv}){{0,2}}(?:{'|'.join(map(re.escape, denials))})")


def _negated(text: str, start: int, lex: Lexicon, end: int | None = None) -> bool:
    """True when a negator stands at most `negation_gap` characters before `start` in its clause,
    when a denial follows the word (噪音倒不大: pass `end`), or when it is a condition (如无手续)."""
    if any(text.endswith(c, max(0, start - len(c)), start) for c in lex.conditions):
        return True
    if end is not None and lex.denied_after is not None and lex.denied_after.match(text, end):
        return True
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
        at = start - len(window) + pos
        if at > 0 and text[at - 1] == text[at + 1 : at + 2]:
            continue  # 是不是未批先建, 有没有辐射: a question, not a denial
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
            if not weak:
                # 「占用八十多亩基本农田」, 「井水有汽油味」: the phrase is the phenomenon; a context
                # word of its type inside or overlapping it (耕地, whose booster 占 may stand too
                # far away; 井水) gives way to it.
                hits = [
                    h
                    for h in hits
                    if not (
                        h.start < m.end()
                        and m.start() < h.end
                        and h.fine_type == fine
                        and (h.context or h.word in lex.weak)
                    )
                ]
            if not any(
                h.start < m.end() and m.start() < h.end and h.fine_type == fine for h in hits
            ):
                negated = _negated(text, m.start(), lex, m.end())
                hits.append(Hit(m.group(0), fine, m.start(), m.end(), negated, context=weak))
    hits.sort(key=lambda h: h.start)
    return _sea_water(text, _water_smells(text, _drop_context(text, hits, lex), lex), lex)


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


def _weak(text: str, h: Hit, lex: Lexicon) -> bool:
    return (h.context or h.word in lex.weak) and not _boosted(text, h, lex)


def _message_level(h: Hit, lex: Lexicon) -> bool:
    """A context word that counts only in a message naming nothing else (see _drop_context)."""
    return h.word in lex.place_words or (h.fine_type == "噪声" and not lex.weak.get(h.word, ("",)))


def message_level_types(text: str) -> set[str]:
    """The fine types `text` names only through message-level context words (a place such as
    采石场 or 河道, a lost night's sleep, all unboosted). They count because the message names
    nothing else; in a later answer of a complaint that named a problem already, they do not
    (bot/intake/slots.py)."""
    lex = lexicon()
    counting = [h for h in find(text) if h.counts]
    weak_types = {h.fine_type for h in counting if _weak(text, h, lex) and _message_level(h, lex)}
    strong_types = {
        h.fine_type for h in counting if not (_weak(text, h, lex) and _message_level(h, lex))
    }
    return weak_types - strong_types


def _drop_context(text: str, hits: list[Hit], lex: Lexicon) -> list[Hit]:
    weak = [_weak(text, h, lex) for h in hits]
    if not any(weak):
        return hits
    bounds = [0] + [i + 1 for i, ch in enumerate(text) if ch in _SENTENCE_END] + [len(text) + 1]
    out: list[Hit] = []
    for h, is_weak in zip(hits, weak, strict=True):
        if is_weak and not h.negated:
            if _message_level(h, lex):
                # 「旁边有片农田。厂里天天冒黑烟」 is smoke only; 「楼顶装了基站。老人睡不好」 is the
                # base station: a place, or a lost night's sleep, counts only in a message that
                # names nothing else
                lo, hi = 0, len(text) + 1
            else:
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


def _sentence(text: str, pos: int) -> tuple[int, int]:
    lo = max(text.rfind(ch, 0, pos) for ch in _SENTENCE_END) + 1
    ends = [j for j in (text.find(ch, pos) for ch in _SENTENCE_END) if j >= 0]
    return lo, min(ends, default=len(text))


def _water_smells(text: str, hits: list[Hit], lex: Lexicon) -> list[Hit]:
    """「往河沟里倒污水，附近臭得不行」: the smell of polluted water is part of the water
    complaint (as 黑臭水体 is), unless the sentence names another source of smell: smoke, waste
    gas, garbage, a livestock farm, a sewer (「垃圾房污水横流，臭气熏天」 stays water and air)."""
    smells = [
        i
        for i, h in enumerate(hits)
        if h.counts and h.word in lex.water_smells and lex.category(h.fine_type) == "大气"
    ]
    if not smells:
        return hits
    out = list(hits)
    for i in smells:
        h = hits[i]
        lo, hi = _sentence(text, h.start)
        inside = [o for o in hits if lo <= o.start < hi and not o.negated]
        waters = {lex.category(o.fine_type) for o in inside if o.counts} & {"水", "海洋"}
        if not waters:
            continue
        # a waste word, even one that only sets the scene (垃圾屋), is a source of smell
        if any(
            lex.category(o.fine_type) == "固废"
            or (lex.category(o.fine_type) == "大气" and o.word not in lex.water_smells)
            for o in inside
        ):
            continue
        sentence = text[lo:hi]
        for span in lex.not_smell_sources:
            sentence = sentence.replace(span, "")
        if any(src in sentence for src in lex.smell_sources):
            continue
        # the smell of a river is a water complaint; of the sea shore, a marine one
        out[i] = replace(h, fine_type="水" if "水" in waters else "海洋")
    return out


def _sea_water(text: str, hits: list[Hit], lex: Lexicon) -> list[Hit]:
    """「往海里排污水，海面一层油」: waste water going into the sea is a marine complaint (入海排污),
    not a second, fresh-water one, unless the sentence names a river, a ditch or a pond too."""
    seas = [h for h in hits if h.counts and lex.category(h.fine_type) == "海洋"]
    if not seas or not lex.fresh_water:
        return hits
    out = []
    for h in hits:
        if h.counts and lex.category(h.fine_type) == "水":
            lo, hi = _sentence(text, h.start)
            sentence = text[lo:hi]
            if any(lo <= s.start < hi for s in seas) and not any(
                w in sentence for w in lex.fresh_water
            ):
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
            hits.append(Hit(word, fine, i, i + length, _negated(text, i, lex, i + length)))
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
