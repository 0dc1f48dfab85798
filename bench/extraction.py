"""Benchmark of bot.nlp.extraction on labelled complaints: JSON lines with id, text, province, city,
district, pollution_types (list), polluter (null where none).

    .venv-app/bin/python bench/extraction.py --data FILE.jsonl [--predictions OUT.jsonl] [--pipeline]

Prints per-field figures for our extractor and for two baselines (a plain keyword matcher for
types; cpca and jionlp for districts, skipped when not installed), then ONE JSON line with our
figures. Scoring (issue 3): types at category level (油烟/扬尘 → 大气), micro-F1; district
precision = right / lines where a district was named, recall = right / lines with a gold
district; a district is right when it names the same unit (射洪县 and 射洪市 are one unit renamed,
so the trailing 县/市/区/旗 is ignored); a polluter matches when one string contains the other or
their character overlap (multiset, Dice) is at least 0.5.

--pipeline scores the spaCy pipeline instead (models/extraction, or --model; assembled from
bot/nlp/pipeline/config.cfg when not built), run through nlp.pipe with each line's context, and
prints its speed beside the rules'. With no trained component yet its predictions equal the
rules' byte for byte.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.nlp.extraction import extract

PARENT = {"油烟": "大气", "扬尘": "大气"}
MODEL = Path(__file__).resolve().parent.parent / "models" / "extraction"

# The baseline a project without a lexicon would write: the category names and a few obvious words.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "大气": ("废气", "烟", "臭", "气味", "异味", "粉尘", "大气"),
    "水": ("污水", "废水", "排污", "河", "水体"),
    "噪声": ("噪音", "噪声", "吵"),
    "土壤": ("土壤", "耕地", "填埋"),
    "固废": ("垃圾", "固废", "废物", "倾倒"),
    "生态": ("生态", "林", "采砂", "湿地"),
    "辐射": ("辐射", "基站"),
    "海洋": ("海",),
    "其他": (),
}


def categories(types: Iterable[str]) -> set[str]:
    return {PARENT.get(t, t) for t in types}


def district_key(name: str | None) -> str | None:
    if not name:
        return None
    return re.sub(r"(自治县|自治旗|县|市|区|旗)$", "", name) or name


def same_district(
    pred: str | None, gold: str | None, province: str | None, city: str | None
) -> bool:
    """Same unit: equal names up to 县/市/区 (射洪县 = 射洪市), or both names of one unit in the
    gazetteer within the line's city (临港区 = 威海临港经济技术开发区)."""
    if not pred or not gold:
        return False
    if district_key(pred) == district_key(gold):
        return True
    from bot.nlp.extraction.gazetteer import gazetteer

    gz = gazetteer()
    within = None
    for code in gz.find_by_name(city or ""):
        if gz.city_code(code) == code:
            within = code
    if within is None:
        return False
    gold_codes = set(gz.find_by_name(gold, within=within))
    return bool(gold_codes) and bool(gold_codes & set(gz.find_by_name(pred, within=within)))


def polluter_match(pred: str | None, gold: str | None) -> bool:
    if not pred or not gold:
        return False
    if pred in gold or gold in pred:
        return True
    common = sum((Counter(pred) & Counter(gold)).values())
    return 2 * common / (len(pred) + len(gold)) >= 0.5


class Scores:
    """Accumulates the per-field counts of one system."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.per_type: dict[str, Counter[str]] = {}
        self.d_named = self.d_right = self.d_gold = 0
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

    def add_district(
        self,
        pred: str | None,
        gold: str | None,
        province: str | None = None,
        city: str | None = None,
    ) -> None:
        self.d_gold += gold is not None
        if pred:
            self.d_named += 1
            self.d_right += same_district(pred, gold, province, city)

    def add_polluter(self, pred: str | None, gold: str | None) -> None:
        self.p_pred += pred is not None
        self.p_gold += gold is not None
        self.p_tp += polluter_match(pred, gold)

    @staticmethod
    def f1(tp: int, fp: int, fn: int) -> float:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def type_f1(self) -> float:
        return self.f1(self.tp, self.fp, self.fn)

    def district_pr(self) -> tuple[float, float]:
        p = self.d_right / self.d_named if self.d_named else 0.0
        r = self.d_right / self.d_gold if self.d_gold else 0.0
        return p, r

    def polluter_f1(self) -> float:
        p = self.p_tp / self.p_pred if self.p_pred else 0.0
        r = self.p_tp / self.p_gold if self.p_gold else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def keyword_types(text: str) -> set[str]:
    return {cat for cat, words in KEYWORDS.items() if any(w in text for w in words)}


def _cpca_baseline() -> Callable[[str, str, str], str | None] | None:
    try:
        import cpca
    except ImportError:  # also when its pkg_resources import fails (setuptools ≥ 81)
        return None

    def run(text: str, province: str, city: str) -> str | None:
        df = cpca.transform([text])
        value = df.iloc[0]["区"]
        return str(value) if value and str(value) != "nan" else None

    return run


def _jionlp_baseline() -> Callable[[str, str, str], str | None] | None:
    import contextlib
    import io

    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import jionlp
    except ImportError:
        return None

    def run(text: str, province: str, city: str) -> str | None:
        res = jionlp.parse_location(text, town_village=False, change2new=True)
        return res.get("county") or None

    return run


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pct(x: float) -> str:
    return f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, required=True, help="labelled JSONL")
    ap.add_argument("--predictions", type=Path, help="write one prediction line per input here")
    ap.add_argument("--errors", action="store_true", help="print the lines each field got wrong")
    ap.add_argument("--repeat", type=int, default=3, help="timing passes (best one counts)")
    ap.add_argument("--pipeline", action="store_true", help="score the spaCy pipeline (nlp.pipe)")
    ap.add_argument("--model", type=Path, default=MODEL, help="the saved pipeline (--pipeline)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows = load(args.data)
    n = len(rows)

    # Warm-up: loads the gazetteer, lexicon and jieba once, as a running bot would have.
    extract("绵阳市涪城区", province="四川省", city="绵阳市")
    best = float("inf")
    results = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        results = [extract(r["text"], province=r.get("province"), city=r.get("city")) for r in rows]
        best = min(best, time.perf_counter() - t0)
    speed = n / best if best else 0.0
    pipe_speed = None
    if args.pipeline:
        results, pipe_speed = _run_pipeline(args.model, rows, args.repeat)

    ours, kw = Scores(), Scores()
    preds = []
    for row, ex in zip(rows, results, strict=True):
        gold_types = categories(row.get("pollution_types") or [])
        district = ex.place.district if ex.place else None
        ours.add_types(set(ex.categories), gold_types)
        ours.add_district(district, row.get("district"), row.get("province"), row.get("city"))
        ours.add_polluter(ex.polluter, row.get("polluter"))
        kw.add_types(keyword_types(row["text"]), gold_types)
        preds.append(
            {
                "id": row.get("id"),
                "district": district,
                "pollution_types": ex.pollution_types or None,
                "polluter": ex.polluter,
            }
        )
        if args.errors:
            _print_errors(row, ex, district, gold_types)

    if args.predictions:
        with args.predictions.open("w", encoding="utf-8") as fh:
            for p in preds:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")

    dp, dr = ours.district_pr()
    print(f"GreenWhistle extraction on {args.data.name}: n={n}")
    print(f"  types     micro-F1 {pct(ours.type_f1())}  (tp={ours.tp} fp={ours.fp} fn={ours.fn})")
    for t, c in sorted(ours.per_type.items(), key=lambda kv: -sum(kv[1].values())):
        print(
            f"    {t:4s} F1 {pct(Scores.f1(c['tp'], c['fp'], c['fn']))}  tp={c['tp']} fp={c['fp']} fn={c['fn']}"
        )
    print(
        f"  district  precision {pct(dp)} recall {pct(dr)}  (named={ours.d_named} right={ours.d_right} gold={ours.d_gold})"
    )
    print(
        f"  polluter  F1 {pct(ours.polluter_f1())}  (pred={ours.p_pred} right={ours.p_tp} gold={ours.p_gold})"
    )
    print(f"  speed     {speed:.0f} texts/s (one core, best of {args.repeat})")
    if pipe_speed is not None:
        print(f"  pipeline  {pipe_speed:.0f} texts/s (nlp.pipe, one core, best of {args.repeat})")
    print("Baselines:")
    print(f"  keyword types micro-F1 {pct(kw.type_f1())}")
    for name, factory in (("cpca", _cpca_baseline), ("jionlp", _jionlp_baseline)):
        runner = factory()
        if runner is None:
            print(f"  {name}: skipped (not installed; pip install -r requirements/bench.txt)")
            continue
        sc = Scores()
        t0 = time.perf_counter()
        for row in rows:
            try:
                pred = runner(row["text"], row.get("province") or "", row.get("city") or "")
            except Exception as exc:  # a baseline's own failure must not end the run
                logging.getLogger(__name__).debug("%s failed: %s", name, exc)
                pred = None
            sc.add_district(pred, row.get("district"), row.get("province"), row.get("city"))
        elapsed = time.perf_counter() - t0
        bp, br = sc.district_pr()
        print(
            f"  {name} district precision {pct(bp)} recall {pct(br)}  ({n / elapsed:.0f} texts/s)"
        )

    print(
        json.dumps(
            {
                "n": n,
                "type_micro_f1": round(ours.type_f1(), 4),
                "district_precision": round(dp, 4),
                "district_recall": round(dr, 4),
                "polluter_f1": round(ours.polluter_f1(), 4),
                "texts_per_s": round(speed, 1),
                **({"pipeline_texts_per_s": round(pipe_speed, 1)} if pipe_speed else {}),
            },
            ensure_ascii=False,
        )
    )
    return 0


def _run_pipeline(model: Path, rows: list[dict[str, Any]], repeat: int) -> tuple[list[Any], float]:
    """The rows through the spaCy pipeline's nlp.pipe, each Doc with its line's context:
    (the Extraction read back from each Doc, texts/s of the best pass, tokenizing included)."""
    import spacy

    from bot.nlp.pipeline import extract_doc, make_doc
    from bot.nlp.pipeline.build import assemble

    nlp = spacy.load(model) if (model / "config.cfg").exists() else assemble()
    list(nlp.pipe([make_doc(nlp, "绵阳市涪城区", province="四川省", city="绵阳市")]))  # warm-up
    best = float("inf")
    docs: list[Any] = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        docs = list(
            nlp.pipe(
                make_doc(nlp, r["text"], province=r.get("province"), city=r.get("city"))
                for r in rows
            )
        )
        best = min(best, time.perf_counter() - t0)
    return [extract_doc(d) for d in docs], len(rows) / best if best else 0.0


def _print_errors(row: dict[str, Any], ex: Any, district: str | None, gold_types: set[str]) -> None:
    wrong = []
    if set(ex.categories) != gold_types:
        wrong.append(
            f"types {sorted(ex.categories)} vs {sorted(gold_types)} via {ex.phenomena} neg={ex.negated}"
        )
    if not same_district(district, row.get("district"), row.get("province"), row.get("city")) and (
        district or row.get("district")
    ):
        cands = ex.place.candidates[:3] if ex.place else []
        wrong.append(f"district {district} vs {row.get('district')} {cands}")
    if bool(ex.polluter) != bool(row.get("polluter")) or (
        row.get("polluter") and not polluter_match(ex.polluter, row.get("polluter"))
    ):
        wrong.append(f"polluter {ex.polluter!r} vs {row.get('polluter')!r} (all {ex.polluters})")
    if wrong:
        print(f"{row.get('id')} [{row.get('city')}] {row['text'][:90]}")
        for w in wrong:
            print(f"    {w}")


if __name__ == "__main__":
    raise SystemExit(main())
