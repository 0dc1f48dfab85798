"""Polluter names: companies and sites (…有限公司, …厂, …养殖场, …工地, …酒店, a named shop).

A suffix from bot/data/extraction/polluters.yml marks the end of a name; the start is found by
walking back over jieba words until a stop word, clause punctuation or an address word (…村, …路).
Generic words alone (工厂, 养殖场) are not polluters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.extraction import segment
from bot.extraction._data import load_yaml

_ADDRESS_END = re.compile(r"(?:村|组|社区|街道|镇|乡|路|街|巷|号|栋|楼|旁|边|侧|米|处|门口)$")
_PLACE_CONTINUES = frozenset("村镇乡路街组巷湾坝沟")
_DETERMINERS = re.compile(
    r"^(?:有一家|有一个|有家|有个|一家|这家|那家|该|此|某|这个|那个|一个|附近的?|旁边的?|对面的?|隔壁的?)+"
)


@dataclass(frozen=True)
class Config:
    suffix_re: re.Pattern[str]
    stop_words: frozenset[str]
    generic: frozenset[str]
    break_chars: str
    max_len: int


@dataclass(frozen=True)
class Candidate:
    name: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _config() -> Config:
    raw = load_yaml("polluters.yml")
    suffixes = sorted(raw["suffixes"], key=len, reverse=True)
    return Config(
        suffix_re=re.compile("|".join(re.escape(s) for s in suffixes)),
        stop_words=frozenset(raw["stop_words"]),
        generic=frozenset(raw["generic"]),
        break_chars=str(raw["break_chars"]),
        max_len=int(raw["max_len"]),
    )


def _token_starts(tokens: list[str]) -> list[int]:
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok)
    return starts


def find(text: str) -> list[Candidate]:
    """Named polluters in text order (generic mentions left out)."""
    cfg = _config()
    if not cfg.suffix_re.search(text):
        return []
    out: list[Candidate] = []
    for clause_match in re.finditer(rf"[^{re.escape(cfg.break_chars)}]+", text):
        clause = clause_match.group(0)
        if not cfg.suffix_re.search(clause):
            continue
        out.extend(_find_in_clause(clause, clause_match.start(), cfg))
    return out


def _find_in_clause(clause: str, offset: int, cfg: Config) -> list[Candidate]:
    tokens = segment.cut(clause)
    starts = _token_starts(tokens)
    out: list[Candidate] = []
    taken_until = 0
    for i, tok in enumerate(tokens):
        m = _suffix_at_end(tok, cfg)
        if m is None:
            continue
        end = starts[i] + len(tok)
        # Extend over a following suffix token: 宏达化工 + 有限公司.
        j = i
        while j + 1 < len(tokens) and _suffix_at_end(tokens[j + 1], cfg) == tokens[j + 1]:
            j += 1
            end = starts[j] + len(tokens[j])
        if end <= taken_until:
            continue
        start = _walk_back(tokens, starts, i, cfg, floor=taken_until)
        name = _DETERMINERS.sub("", clause[start:end])
        start = end - len(name)
        if len(name) > cfg.max_len:
            name = name[-cfg.max_len :]
            start = end - len(name)
        if not name or name in cfg.generic or _is_generic(name, cfg):
            continue
        if clause[end : end + 1] in _PLACE_CONTINUES:
            continue  # 凡店村, 石厂路: a shop-like word that is part of a place name
        out.append(Candidate(name, offset + start, offset + end))
        taken_until = end
    return out


def _suffix_at_end(token: str, cfg: Config) -> str | None:
    for m in cfg.suffix_re.finditer(token):
        if m.end() == len(token):
            return m.group(0)
    return None


def _walk_back(tokens: list[str], starts: list[int], i: int, cfg: Config, floor: int) -> int:
    """Start offset of the name whose last word is tokens[i]."""
    start = starts[i]
    k = i - 1
    while k >= 0 and starts[k] >= floor:
        tok = tokens[k]
        if (
            tok in cfg.stop_words
            or tok.isdigit()
            or _ADDRESS_END.search(tok)
            or tok[-1] in "有个是在的"
        ):
            break
        start = starts[k]
        k -= 1
    # The suffix token itself may carry a stop prefix jieba did not split (在砖厂): drop it.
    return start


def _is_generic(name: str, cfg: Config) -> bool:
    """工厂, 小型工厂, 一个养殖场: a suffix alone, or with only size/colour words before it."""
    stem = re.sub(r"^(?:小型|大型|小|大|黑|新|老|无证|非法|违法|私人|个体|无名)+", "", name)
    return stem in cfg.generic or stem == ""
