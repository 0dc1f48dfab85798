"""Time expressions of complaints (夜间, 凌晨三点, 每天晚上, 上周五, 长期, 每天8:00-20:00, 多年)."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.nlp.extraction._data import times_file

_CN_NUM = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})"
_CLOCK = rf"{_NUM}(?:[:：]\d{{2}}|[点时](?:\d{{1,2}}分?|半|[{_CN_NUM}]{{1,3}}分?|钟)?)"
_PATTERNS = [
    # 8:00-20:00, 晚上10点至凌晨2点 (day parts are joined in by the merger)
    rf"{_CLOCK}\s*(?:[-—~～至到])\s*{_CLOCK}",
    _CLOCK,
    # 2023年5月12日, 5月12日, 3月份, 2016年以来
    r"\d{4}年(?:\d{1,2}月(?:\d{1,2}[日号])?)?|\d{1,2}月(?:\d{1,2}[日号]|份|初|中旬|下旬|底)?|\d{1,2}[日号](?=[晚早夜凌上下中]|左右)",
    # 上周五, 周六, 星期天, 上个星期三
    r"(?:上|本|这|下)?(?:个)?(?:周|星期|礼拜)[一二三四五六日天末]",
    # 三天前, 两个月来, 十多年, 半年多
    rf"(?:{_NUM}|半|几|好几|十几|数)(?:多)?(?:个)?(?:年|月|天|周|星期|晚|夜|小时)(?:多)?(?:来|前|以来|了)",
    rf"(?:{_NUM}|几|好几|十几|数)(?:多)?年(?:多)?",
]


@lru_cache(maxsize=1)
def _regex() -> re.Pattern[str]:
    vocab = times_file()
    words: list[str] = [*vocab.frequency, *vocab.day_part, *vocab.day]
    words.sort(key=len, reverse=True)
    word_alt = "|".join(re.escape(w) for w in words)
    trailer = "|".join(re.escape(w) for w in sorted(vocab.trailer, key=len, reverse=True))
    return re.compile(rf"(?:{'|'.join(_PATTERNS)}|{word_alt})(?:{trailer})?")


def find(text: str) -> list[str]:
    """Time expressions in text order; neighbours (at most one linking character) are joined."""
    out: list[str] = []
    for start, end in find_spans(text):
        if text[start:end] not in out:
            out.append(text[start:end])
    return out


def find_spans(text: str) -> list[tuple[int, int]]:
    """Where `find`'s expressions stand, every occurrence (the spaCy pipeline marks each)."""
    spans: list[list[int]] = []
    for m in _regex().finditer(text or ""):
        start, end = m.span()
        if (
            spans
            and start - spans[-1][1] <= 1
            and text[spans[-1][1] : start] in ("", "的", "从", "在", "到", "至")
        ):
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(start, end) for start, end in spans if not _is_noise(text[start:end])]


def _is_noise(piece: str) -> bool:
    """Words that are times only in context: 持续 alone, 连续 alone, 多次 alone are no time."""
    return piece in {"持续", "连续", "反复", "多次", "至今", "起", "一直"}
