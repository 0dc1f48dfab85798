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
prints its speed beside the rules'.

Without --data (issue 15, step 2) it compares, on every bench/data/invented-*.jsonl, the rules
alone, the trained models alone and the combined pipeline (models/extraction), per field, each
set marked with the fields that are blind for the rules (bench/data/README.md); the models and
the combination were trained and tuned on none of these sets (bench/data/train only). Then the
speed of the whole pipeline through nlp.pipe.

    .venv-app/bin/python bench/extraction.py [--sets GLOB] [--epochs N] [--corrections FILE]

--epochs N also trains a pipeline for N epochs (not saved) and prints what it gains.
--corrections FILE splits FILE (an invented set, used as its own split) in two halves: the
rules' errors on the first half (types, polluter, district) become staff corrections (as `make
export-corrections` would export them), a pipeline is trained with them (its places component
learning place phrases from the district corrections), and the second half measures it; the
district line shows what the learnt places do on the held-out half (and, as a check of the
mechanism only, on the half they were learnt from).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.nlp.extraction import extract
from bot.nlp.pipeline.scoring import Counts, categories, f1, polluter_match

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "extraction"

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


class Scores(Counts):
    """Accumulates the per-field counts of one system: types and polluters (Counts), districts."""

    def __init__(self) -> None:
        super().__init__()
        self.d_named = self.d_right = self.d_gold = 0

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

    f1 = staticmethod(f1)

    def district_pr(self) -> tuple[float, float]:
        p = self.d_right / self.d_named if self.d_named else 0.0
        r = self.d_right / self.d_gold if self.d_gold else 0.0
        return p, r


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
    ap.add_argument("--data", type=Path, help="labelled JSONL (none: compare on every set)")
    ap.add_argument("--sets", default="invented-*.jsonl", help="sets compared (glob in bench/data)")
    ap.add_argument("--epochs", type=int, help="also train N epochs and print what it gains")
    ap.add_argument("--corrections", type=Path, help="half of this set as staff corrections")
    ap.add_argument("--predictions", type=Path, help="write one prediction line per input here")
    ap.add_argument("--errors", action="store_true", help="print the lines each field got wrong")
    ap.add_argument("--repeat", type=int, default=3, help="timing passes (best one counts)")
    ap.add_argument("--pipeline", action="store_true", help="score the spaCy pipeline (nlp.pipe)")
    ap.add_argument("--model", type=Path, default=MODEL, help="the saved pipeline (--pipeline)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.data is None or args.corrections is not None:
        return compare(args)
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


#: Fields of each set whose errors nobody read while writing rules (bench/data/README.md): F and
#: L guided nothing; H's district errors guided round 7's place rules, its types and polluters
#: were never read. The trained models saw none of the sets.
BLIND: dict[str, tuple[str, ...]] = {
    "invented-f": ("types", "district", "polluter"),
    "invented-h": ("types", "polluter"),
    "invented-l": ("types", "district", "polluter"),
    "invented-m": ("types", "district", "polluter"),
    "invented-n": ("types", "district", "polluter"),
}
FIELDS = ("types", "district", "polluter")
SYSTEMS = ("rules", "model", "combined")


def _measure(nlp: Any, rows: list[dict[str, Any]]) -> dict[str, Scores]:
    """Rules alone (`extract`), the models alone (`model_view`) and the combination
    (`extract_doc` of the combined pipeline) on `rows`."""
    from bot.nlp.pipeline import extract_doc, make_doc, model_view

    docs = nlp.pipe(
        make_doc(nlp, r["text"], province=r.get("province"), city=r.get("city")) for r in rows
    )
    out = {name: Scores() for name in SYSTEMS}
    for row, doc in zip(rows, docs, strict=True):
        gold = categories(row.get("pollution_types") or [])
        ctx = (row.get("province"), row.get("city"))
        rules = extract(row["text"], province=ctx[0], city=ctx[1])
        comb = extract_doc(doc)
        m_types, m_pol, _ = model_view(doc)
        for name, types, pol, place in (
            ("rules", set(rules.categories), rules.polluter, rules.place),
            ("model", m_types, m_pol, None),
            ("combined", set(comb.categories), comb.polluter, comb.place),
        ):
            sc = out[name]
            sc.add_types(types, gold)
            sc.add_polluter(pol, row.get("polluter"))
            if name != "model":  # the models resolve no place
                sc.add_district(place.district if place else None, row.get("district"), *ctx)
    return out


def _fmt(sc: dict[str, Scores]) -> str:
    t = "/".join(pct(sc[n].type_f1()) for n in SYSTEMS)
    dp, dr = sc["combined"].district_pr()
    rp, rr = sc["rules"].district_pr()
    d = f"{pct(rp)}/{pct(rr)}" + ("" if (dp, dr) == (rp, rr) else f"→{pct(dp)}/{pct(dr)}")
    p = "/".join(pct(sc[n].polluter_f1()) for n in SYSTEMS)
    return f"types {t}  district P/R {d}  polluter {p}"


def _pool(parts: list[dict[str, Scores]]) -> dict[str, Scores]:
    total = {name: Scores() for name in SYSTEMS}
    for part in parts:
        for name, sc in part.items():
            t = total[name]
            t.tp, t.fp, t.fn = t.tp + sc.tp, t.fp + sc.fp, t.fn + sc.fn
            t.p_tp, t.p_pred, t.p_gold = (
                t.p_tp + sc.p_tp,
                t.p_pred + sc.p_pred,
                t.p_gold + sc.p_gold,
            )
            t.d_named, t.d_right = t.d_named + sc.d_named, t.d_right + sc.d_right
            t.d_gold += sc.d_gold
    return total


def _load_pipeline(model: Path) -> Any:
    import spacy

    if not (model / "config.cfg").exists():
        raise SystemExit(f"{model}: no pipeline; make train-extraction")
    nlp = spacy.load(model)
    if "gw_combine" not in nlp.pipe_names:
        raise SystemExit(f"{model}: no trained components; make train-extraction")
    return nlp


def compare(args: argparse.Namespace) -> int:
    """Rules vs models vs combined on every set; speed; optionally longer training and the
    corrections experiment (see the module docstring)."""
    nlp = _load_pipeline(args.model)
    info = nlp.meta.get("greenwhistle", {})
    print(f"pipeline {args.model}: {nlp.pipe_names}")
    print(
        f"  trained on {info.get('train_lines')} lines of bench/data/train (dev split {info.get('dev_lines')}, corrections {info.get('corrections')}); {info.get('combination')}"
    )
    if args.corrections is not None:
        return _corrections_experiment(nlp, args)
    paths = sorted((ROOT / "bench" / "data").glob(args.sets))
    sets = {p.stem: load(p) for p in paths}
    results = {name: _measure(nlp, rows) for name, rows in sets.items()}
    print(
        "\nper set: types micro-F1 rules/model/combined; district P/R rules (→ combined when it differs; the models resolve no place); polluter F1 rules/model/combined"
    )
    for name, sc in results.items():
        blind = BLIND.get(name, ())
        mark = f"blind for rules: {','.join(blind)}" if blind else "rules tuned on it"
        print(f"  {name[-1].upper()} n={len(sets[name]):3d} {_fmt(sc)}  [{mark}]")
    print(f"  all n={sum(map(len, sets.values()))} {_fmt(_pool(list(results.values())))}")
    for field in FIELDS:
        names = [n for n in results if field in BLIND.get(n, ())]
        if names:
            pooled = _pool([results[n] for n in names])
            label = "+".join(n[-1].upper() for n in names)
            print(f"  blind for {field} ({label}): {_fmt(pooled)}")
    _not_adopted(nlp, sets, results)
    rows = [r for rs in sets.values() for r in rs]
    _print_speed(nlp, rows, args.repeat)
    if args.epochs:
        _longer(args.epochs, sets, results)
    return 0


def _not_adopted(
    nlp: Any, sets: dict[str, list[dict[str, Any]]], shipped: dict[str, dict[str, Scores]]
) -> None:
    """What the classifier's type additions at the dev split's threshold would do (off unless
    adopted: bot/nlp/pipeline/train.py ADOPT_TYPES)."""
    info = nlp.meta.get("greenwhistle", {})
    threshold = info.get("dev_threshold")
    comb = nlp.get_pipe("gw_combine")
    if threshold is None or threshold >= 1 or comb.threshold == threshold:
        return
    config = {"threshold": threshold, "fill_polluter": comb.fill_polluter}
    nlp.replace_pipe("gw_combine", "gw_combine", config=config)
    try:
        added = {name: _measure(nlp, rows) for name, rows in sets.items()}
    finally:
        config["threshold"] = comb.threshold
        nlp.replace_pipe("gw_combine", "gw_combine", config=config)
    blind = [n for n in sets if "types" in BLIND.get(n, ())]
    print(
        f"type additions at the dev split's threshold {threshold:.2f} (not adopted), types micro-F1 combined:"
    )
    for label, names in (
        ("all", list(sets)),
        ("blind " + "+".join(n[-1].upper() for n in blind), blind),
    ):
        before = _pool([shipped[n] for n in names])["combined"].type_f1()
        after = _pool([added[n] for n in names])["combined"].type_f1()
        print(f"  {label}: {pct(before)} → {pct(after)}")
    for name in sets:
        print(
            f"    {name[-1].upper()} {pct(shipped[name]['combined'].type_f1())} → {pct(added[name]['combined'].type_f1())}",
            end="",
        )
    print()


def _print_speed(nlp: Any, rows: list[dict[str, Any]], repeat: int) -> None:
    from bot.nlp.pipeline import make_doc

    def run() -> float:
        t0 = time.perf_counter()
        list(
            nlp.pipe(
                make_doc(nlp, r["text"], province=r.get("province"), city=r.get("city"))
                for r in rows
            )
        )
        return len(rows) / (time.perf_counter() - t0)

    def rules() -> float:
        t0 = time.perf_counter()
        for r in rows:
            extract(r["text"], province=r.get("province"), city=r.get("city"))
        return len(rows) / (time.perf_counter() - t0)

    full = max(run() for _ in range(max(1, repeat)))
    with nlp.select_pipes(disable=["textcat_multilabel", "ner", "gw_combine"]):
        no_models = max(run() for _ in range(max(1, repeat)))
    plain = max(rules() for _ in range(max(1, repeat)))
    print(
        f"speed over {len(rows)} lines, one process (best of {repeat}): whole pipeline "
        f"{full:.0f} texts/s through nlp.pipe; without the trained components {no_models:.0f}; "
        f"rules alone (extract) {plain:.0f}"
    )


def _longer(
    epochs: int, sets: dict[str, list[dict[str, Any]]], base: dict[str, dict[str, Scores]]
) -> None:
    from bot.config import get_settings
    from bot.nlp.pipeline.train import build

    settings = get_settings()
    t0 = time.perf_counter()
    nlp, choice = build(
        out=None,
        province=settings.deployment_province,
        city=settings.deployment_city,
        epochs=epochs,
    )
    took = time.perf_counter() - t0
    print(f"\nlonger training: {epochs} epochs in {took:.0f} s; {choice.describe()}")
    longer = {name: _measure(nlp, rows) for name, rows in sets.items()}
    print(f"  all, built: {_fmt(_pool(list(base.values())))}")
    print(f"  all, {epochs} epochs: {_fmt(_pool(list(longer.values())))}")
    names = [n for n in sets if n in BLIND]
    print(
        f"  blind sets ({'+'.join(n[-1].upper() for n in names)}), built: {_fmt(_pool([base[n] for n in names]))}"
    )
    print(f"  blind sets, {epochs} epochs: {_fmt(_pool([longer[n] for n in names]))}")


def _corrections_experiment(nlp: Any, args: argparse.Namespace) -> int:
    import hashlib
    import tempfile

    from bot.config import get_settings
    from bot.nlp.pipeline.corrections import correction_doc, write
    from bot.nlp.pipeline.train import build

    rows = load(args.corrections)
    half = [int(hashlib.sha256(str(r["id"]).encode()).hexdigest()[:8], 16) % 2 for r in rows]
    given = [r for r, h in zip(rows, half, strict=True) if h == 0]
    measured = [r for r, h in zip(rows, half, strict=True) if h == 1]
    docs = []
    n_district = 0
    for r in given:  # staff correct only what the extraction got wrong, as in the console
        prov, city = r.get("province"), r.get("city")
        ex = extract(r["text"], province=prov, city=city)
        fields: dict[str, Any] = {}
        if set(ex.categories) != categories(r.get("pollution_types") or []):
            fields["categories"] = list(r.get("pollution_types") or [])
        if not polluter_match(ex.polluter, r.get("polluter")) and (
            ex.polluter or r.get("polluter")
        ):
            fields["polluter"] = r.get("polluter")
        district = ex.place.district if ex.place else None
        if r.get("district") and not same_district(district, r["district"], prov, city):
            fields["district"] = r["district"]
            n_district += 1
        if fields:
            docs.append(correction_doc(nlp, r["text"], fields, province=prov, city=city))
    print(
        f"\ncorrections experiment on {args.corrections.name}, used as its own split (so not a "
        f"blind figure for this set): {len(given)} lines given, {len(docs)} of them corrected "
        f"where the rules were wrong (types, polluter or district: {n_district} districts); "
        f"measured on the other {len(measured)}"
    )
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="gw-corr-") as tmp:
        path = Path(tmp) / "corrections.spacy"
        write(docs, path)
        t0 = time.perf_counter()
        trained, choice = build(
            out=None,
            province=settings.deployment_province,
            city=settings.deployment_city,
            corrections=[path],
            epochs=args.epochs,
        )
    print(f"  trained with them in {time.perf_counter() - t0:.0f} s; {choice.describe()}")
    print(f"  places learnt: {trained.meta['greenwhistle']['learnt_places']}")
    before = _measure(nlp, measured)
    after = _measure(trained, measured)
    print(f"  without corrections: {_fmt(before)}")
    print(f"  with corrections:    {_fmt(after)}")
    for label, rows in (
        ("held-out half", measured),
        ("given half (learnt from, not a test)", given),
    ):
        was, now, used, right = _learnt_districts(nlp, trained, rows)
        print(
            f"  district on the {label}: P/R {pct(was[0])}/{pct(was[1])} → {pct(now[0])}/"
            f"{pct(now[1])}; {used} lines placed by a learnt phrase, {right} of them right"
        )
    return 0


def _learnt_districts(
    before: Any, after: Any, rows: list[dict[str, Any]]
) -> tuple[tuple[float, float], tuple[float, float], int, int]:
    """District P/R of the combined pipeline before and after corrections, and how many lines
    the learnt places placed (right ones among them)."""
    from bot.nlp.pipeline import extract_doc, make_doc

    def docs(nlp: Any) -> list[Any]:
        return list(
            nlp.pipe(
                make_doc(nlp, r["text"], province=r.get("province"), city=r.get("city"))
                for r in rows
            )
        )

    was, now = Scores(), Scores()
    used = right = 0
    for row, d0, d1 in zip(rows, docs(before), docs(after), strict=True):
        ctx = (row.get("province"), row.get("city"))
        p0, p1 = extract_doc(d0).place, extract_doc(d1).place
        was.add_district(p0.district if p0 else None, row.get("district"), *ctx)
        now.add_district(p1.district if p1 else None, row.get("district"), *ctx)
        if (d1._.gw_extraction or {}).get("learnt_places"):
            used += 1
            right += same_district(p1.district if p1 else None, row.get("district"), *ctx)
    return was.district_pr(), now.district_pr(), used, right


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
