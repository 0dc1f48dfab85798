"""Candidate place phrases in a complaint, for learning places from corrections (learnt_places.py).

A phrase ending in a place suffix (路 街 巷 村 组 社区 小区 花园 广场 市场 公园 大桥 厂区 园区 坝 湾 …),
the name between 在/位于 and 附近/旁边, and jieba's `ns` words; each must pass the generic filter of
bot/data/extraction/place_phrases.yml (菜市场, 城中村, 建设路 say nothing about where).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.nlp.extraction import segment
from bot.nlp.extraction._data import place_phrases_file
from bot.nlp.extraction.text import CLAUSE_PUNCT

CJK_OR_DIGIT = re.compile(r"^[\u4e00-\u9fff0-9]+$")
_NUMERAL_STEM = re.compile(r"^[0-9一二三四五六七八九十百零〇两第]+$")


@dataclass(frozen=True)
class Phrase:
    """A candidate place phrase: `text[start:end]`."""

    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _vocab() -> tuple[tuple[str, ...], frozenset[str], frozenset[str], frozenset[str]]:
    """(suffixes longest first, stop words, generic phrases, generic stems)."""
    f = place_phrases_file()
    return (
        tuple(sorted(f.suffixes, key=len, reverse=True)),
        frozenset(f.stop_words),
        frozenset(f.generic),
        frozenset(f.generic_stems),
    )


@lru_cache(maxsize=1)
def _ns_words() -> frozenset[str]:
    """Words jieba's dictionary tags `ns` (place names), three characters or more."""
    import jieba.posseg

    tags = jieba.posseg.POSTokenizer(segment.tokenizer()).word_tag_tab
    return frozenset(w for w, t in tags.items() if t == "ns" and len(w) >= 3)


def _common_word(phrase: str) -> bool:
    """One word of jieba's dictionary, used often enough to be an ordinary word (港湾, 建设路)."""
    freq = segment.tokenizer().FREQ.get(phrase) or 0
    return freq >= place_phrases_file().common_word_freq


def _name_like(word: str) -> bool:
    _, stops, _, _ = _vocab()
    return bool(CJK_OR_DIGIT.match(word)) and word not in stops


def _specific(phrase: str, suffix: str | None) -> bool:
    """Whether `phrase` can say where something is: long enough, not a generic or common word,
    and (for a suffix phrase) its part before the suffix a name, not 菜 or 三."""
    f = place_phrases_file()
    _, _, generic, stems = _vocab()
    if not f.min_len <= len(phrase) <= f.max_len or phrase in generic or _common_word(phrase):
        return False
    if suffix is not None:
        stem = phrase[: -len(suffix)]
        if not stem or stem in stems or stem in generic or _NUMERAL_STEM.match(stem):
            return False
    return True


def _tokens(text: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    pos = 0
    for word in segment.cut(text):
        out.append((pos, pos + len(word), word))
        pos += len(word)
    return out


def _suffix_of(word: str) -> str | None:
    suffixes, _, _, _ = _vocab()
    return next((s for s in suffixes if word.endswith(s)), None)


def mine(text: str, avoid: Iterable[tuple[int, int]] = ()) -> list[Phrase]:
    """Candidate place phrases in `text` (normalised), none overlapping an `avoid` span (the
    gazetteer's full names): see the module docstring."""
    f = place_phrases_file()
    blocked = list(avoid)
    toks = _tokens(text)

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in blocked)

    found: dict[tuple[int, int], Phrase] = {}

    def add(start: int, end: int, suffix: str | None) -> bool:
        phrase = text[start:end]
        if free(start, end) and _specific(phrase, suffix):
            found.setdefault((start, end), Phrase(start, end, phrase))
            return True
        return False

    for i, (s, e, word) in enumerate(toks):
        suffix = _suffix_of(word)
        if suffix is None or not CJK_OR_DIGIT.match(word):
            continue
        # 幸福村 (a word of its own) or 金鱼|巷 (the suffix after name words): the shortest
        # specific phrase ending here, and the longest run of name words before it
        shortest = len(word) > len(suffix) and add(s, e, suffix)
        start = s
        for k in range(i - 1, max(-1, i - 4), -1):
            ks, _, kword = toks[k]
            if not _name_like(kword) or e - ks > f.max_len or not free(ks, e):
                break
            start = ks
            if not shortest:
                shortest = add(start, e, suffix)
        if start < s:
            add(start, e, suffix)
    for phrase in _cue_phrases(text, toks):
        add(phrase.start, phrase.end, None)
    ns = _ns_words()
    for s, e, word in toks:
        if word in ns:
            add(s, e, None)
    return sorted(found.values(), key=lambda p: (p.start, p.end))


def _cue_phrases(text: str, toks: list[tuple[int, int, str]]) -> list[Phrase]:
    """在/位于 X 附近/旁边: X, when all of it is name words and it names no kind of place every
    county has (县医院)."""
    f = place_phrases_file()
    heads = tuple(f.generic_heads)
    starts = {s: i for i, (s, _, _) in enumerate(toks)}
    out: list[Phrase] = []
    for cue in f.cues_before:
        for m in re.finditer(re.escape(cue), text):
            i = starts.get(m.end())
            if i is None:
                continue
            for j in range(i, min(len(toks), i + 4)):
                word = toks[j][2]
                if word in f.cues_after:
                    if j > i:
                        start, end = toks[i][0], toks[j - 1][1]
                        phrase = text[start:end]
                        if not phrase.endswith(heads):
                            out.append(Phrase(start, end, phrase))
                    break
                if not _name_like(word) or any(c in CLAUSE_PUNCT for c in word):
                    break
    return out
