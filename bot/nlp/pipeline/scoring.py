"""How extraction is scored (issue 3's rules), shared by bench/extraction.py and the threshold
choice of train.py: types at category level (油烟/扬尘 → 大气), micro-F1; a polluter matches when
one string contains the other or their character overlap (multiset, Dice) is at least 0.5.

Plain Python: importing it loads no model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

PARENT = {"油烟": "大气", "扬尘": "大气"}


def categories(types: Iterable[str]) -> set[str]:
    """Category-level types: 油烟 and 扬尘 count as 大气."""
    return {PARENT.get(t, t) for t in types}


def polluter_match(pred: str | None, gold: str | None) -> bool:
    if not pred or not gold:
        return False
    if pred in gold or gold in pred:
        return True
    common = sum((Counter(pred) & Counter(gold)).values())
    return 2 * common / (len(pred) + len(gold)) >= 0.5


def f1(tp: int, fp: int, fn: int) -> float:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


class Counts:
    """Types micro counts and polluter counts of one system over a set of lines."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.per_type: dict[str, Counter[str]] = {}
        self.p_tp = self.p_pred = self.p_gold = 0

    def add_types(self, pred: set[str], gold: set[str]) -> None:
        self.tp += len(pred & gold)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)
        for t in pred | gold:
            c = self.per_type.setdefault(t, Counter())
            c["tp"] += t in pred and t in gold
            c["fp"] += t in pred and t not in gold
            c["fn"] += t in gold and t not in pred

    def add_polluter(self, pred: str | None, gold: str | None) -> None:
        self.p_pred += pred is not None
        self.p_gold += gold is not None
        self.p_tp += polluter_match(pred, gold)

    def type_f1(self) -> float:
        return f1(self.tp, self.fp, self.fn)

    def polluter_f1(self) -> float:
        p = self.p_tp / self.p_pred if self.p_pred else 0.0
        r = self.p_tp / self.p_gold if self.p_gold else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0
