"""Hotline drafting benchmark: drafts per second and latency by transcript length, and field
accuracy on the transcript set under tests/fixtures/hotline/.

    .venv-app/bin/python bench/hotline.py                      # drafting (bot/nlp/transcripts.py)
    .venv-app/bin/python bench/hotline.py --rasa-url http://127.0.0.1:5005 --token $GW_INTERNAL_TOKEN
                                                               # + the webhook of a running stack
    .venv-app/bin/python bench/hotline.py --data FILE.jsonl [FILE.jsonl ...]
                                                               # scores on transcript sets (issue 16)

Drafting = parse the transcript + one extraction pass + sentence attribution, what the channel
does before the bot's turn. The webhook figure adds the Rasa turn and the action server.

--data scores the drafting on sets of calls (bench/data/hotline/*.jsonl: one JSON object a line
with id, transcript, caller_number, expected.{district, categories, polluter, redirect}), per set
and overall, then prints ONE JSON line:
- district, exact type set, named polluter: on the calls whose expected redirect is null. The
  district is right when it names the same unit (up to 县/市/区, as bench/extraction.py); the
  type set is right when it equals the expected one with 油烟/扬尘 counted as 大气; the polluter is
  right when it matches (containment either way or character Dice ≥ 0.5, bench/extraction.py's
  polluter_match), and a null expectation is right when the draft names none. "all three" is a
  call right on all three. The draft's fields are scored even when it (wrongly) advises a
  transfer; such calls are counted as "false transfers".
- redirect right: on the calls whose expected redirect is set: the draft advises a transfer (the
  channel answers status "transfer") or its transfer reason names the target; "target named"
  counts only the reasons that name it (any part of the target split at / 、 ， and brackets).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extraction import categories, polluter_match, same_district  # noqa: E402
from bot.nlp.transcripts import Draft, build_draft, parse  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "hotline"
LENGTHS = (200, 1000, 5000)


def _cases() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))]


def transcript_of(length: int, cases: list[dict[str, Any]]) -> str:
    """A realistic call of about `length` characters: the labelled calls, one after another, as
    one long conversation (a caller who keeps adding details)."""
    lines: list[str] = []
    for case in cases:
        lines.extend(case["transcript"].splitlines())
    out: list[str] = []
    total = 0
    i = 0
    while total < length:
        line = lines[i % len(lines)]
        out.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(out)[:length]


def draft(text: str, caller: str | None = "13812345678") -> Draft:
    return build_draft(parse(text), caller_number=caller, province="四川省", city="绵阳市")


def bench_lengths(cases: list[dict[str, Any]], seconds: float) -> None:
    draft(cases[0]["transcript"])  # the gazetteer and jieba load once per process
    print(f"{'chars':>6} {'drafts/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for length in LENGTHS:
        text = transcript_of(length, cases)
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(times) < 20:
            start = time.perf_counter()
            draft(text)
            times.append(time.perf_counter() - start)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{len(text):>6} {len(times) / sum(times):>9.1f} {statistics.median(times) * 1000:>8.2f}"
            f" {p95 * 1000:>8.2f} {times[-1] * 1000:>8.2f}"
        )


def _checks(case: dict[str, Any], d: Draft) -> dict[str, bool]:
    exp = case["expect"]
    values = {k: f.value for k, f in d.fields.items()}
    out: dict[str, bool] = {"transfer": (d.transfer is not None) == exp.get("transfer", False)}
    if d.transfer:
        return out
    if "categories" in exp:
        out["categories"] = all(c in (values.get("categories") or []) for c in exp["categories"])
    if "district" in exp:
        out["district"] = bool(d.place and d.place.district == exp["district"])
    if "town" in exp:
        out["town"] = bool(d.place and d.place.town == exp["town"])
    if "polluter" in exp or "polluter_contains" in exp:
        want = exp.get("polluter") or exp["polluter_contains"]
        out["polluter"] = want in str(values.get("polluter") or "")
    if "time_text_contains" in exp:
        out["time_text"] = exp["time_text_contains"] in str(values.get("time_text") or "")
    if "contact" in exp:
        out["contact"] = values.get("contact") == exp["contact"]
    if "has_evidence" in exp:
        out["evidence"] = d.has_evidence is exp["has_evidence"]
    if "missing" in exp:
        out["missing"] = all(m in d.missing for m in exp["missing"]) and (
            exp["missing"] != [] or d.missing == []
        )
    if "shape" in exp:
        out["speakers"] = d.transcript.shape == exp["shape"]
    return out


def bench_accuracy(cases: list[dict[str, Any]]) -> None:
    per_field: dict[str, list[bool]] = {}
    for case in cases:
        for name, ok in _checks(case, draft(case["transcript"], case["caller_number"])).items():
            per_field.setdefault(name, []).append(ok)
            if not ok:
                print(f"  miss: {case['call_id']} {name}")
    total = [ok for oks in per_field.values() for ok in oks]
    print(
        f"field accuracy on {len(cases)} transcripts: {sum(total)}/{len(total)} "
        f"= {sum(total) / len(total):.3f}"
    )
    for name, oks in sorted(per_field.items()):
        print(f"  {name:<11} {sum(oks)}/{len(oks)}")


def bench_webhook(cases: list[dict[str, Any]], url: str, token: str, rounds: int) -> None:
    from bot.web.hotline_client import HotlineClient

    client = HotlineClient(url, token)
    print(f"{'chars':>6} {'calls/s':>8} {'p50 ms':>8} {'max ms':>8}  (webhook: draft + bot turn)")
    for length in LENGTHS:
        text = transcript_of(length, cases)
        times: list[float] = []
        for _ in range(rounds):
            start = time.perf_counter()
            reply = client.new_call(
                f"bench-{uuid.uuid4().hex[:10]}", text, caller_number="13812345678"
            )
            times.append(time.perf_counter() - start)
            if not reply.ok:
                print(f"  error: {reply.body}")
                break
        times.sort()
        print(
            f"{len(text):>6} {len(times) / sum(times):>8.1f} {statistics.median(times) * 1000:>8.1f}"
            f" {times[-1] * 1000:>8.1f}"
        )
    client.close()


def _load_sets(paths: list[str]) -> dict[str, list[dict[str, Any]]]:
    sets: dict[str, list[dict[str, Any]]] = {}
    for p in paths:
        lines = Path(p).read_text(encoding="utf-8").splitlines()
        sets[Path(p).stem] = [json.loads(line) for line in lines if line.strip()]
    return sets


def score_call(call: dict[str, Any], d: Draft, province: str, city: str) -> dict[str, Any]:
    """The verdicts of one call's draft (see the module docstring)."""
    exp = call.get("expected") or {}
    values = {k: f.value for k, f in d.fields.items()}
    district = d.place.district if d.place else None
    polluter = values.get("polluter") or None
    cats = list(values.get("categories") or [])
    out: dict[str, Any] = {
        "id": call.get("id"),
        "district": district,
        "categories": cats,
        "polluter": polluter,
        "transfer": d.transfer,
    }
    redirect = exp.get("redirect")
    if redirect not in (None, ""):
        parts = [p for p in re.split(r"[/、，,;；或和()（）\s]+", str(redirect)) if p]
        named = bool(d.transfer) and any(p in (d.transfer or "") for p in parts)
        out["redirect_right"] = d.transfer is not None or named
        out["target_named"] = named
        return out
    want_district = exp.get("district")
    out["district_right"] = (
        same_district(district, want_district, province, city) if want_district else not district
    )
    out["types_right"] = categories(cats) == categories(exp.get("categories") or [])
    want_polluter = exp.get("polluter")
    out["polluter_right"] = (
        polluter_match(polluter, want_polluter) if want_polluter else polluter is None
    )
    out["all_right"] = out["district_right"] and out["types_right"] and out["polluter_right"]
    out["false_transfer"] = d.transfer is not None
    return out


def _share(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    hits = sum(bool(r[key]) for r in rows)
    return {"right": hits, "of": len(rows), "share": round(hits / len(rows), 3) if rows else None}


def summarise_calls(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ours = [r for r in rows if "district_right" in r]
    transfers = [r for r in rows if "redirect_right" in r]
    return {
        "calls": len(rows),
        "district": _share(ours, "district_right"),
        "exact_types": _share(ours, "types_right"),
        "polluter": _share(ours, "polluter_right"),
        "all_three": _share(ours, "all_right"),
        "false_transfers": sum(bool(r["false_transfer"]) for r in ours),
        "redirect": _share(transfers, "redirect_right"),
        "target_named": _share(transfers, "target_named"),
    }


def bench_sets(paths: list[str], out: str | None = None) -> dict[str, Any]:
    from bot.config import DEFAULT_CITY, DEFAULT_PROVINCE

    province, city = DEFAULT_PROVINCE, DEFAULT_CITY
    draft(warm_up_text())  # the gazetteer and jieba load once per process
    per_set: dict[str, dict[str, Any]] = {}
    every: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name, calls in _load_sets(paths).items():
        t0 = time.perf_counter()
        rows = []
        for call in calls:
            d = build_draft(
                parse(call["transcript"]),
                caller_number=call.get("caller_number"),
                province=province,
                city=city,
            )
            row = score_call(call, d, province, city)
            row["set"] = name
            rows.append(row)
        per_set[name] = summarise_calls(rows)
        per_set[name]["seconds"] = round(time.perf_counter() - t0, 2)
        every.extend(rows)
    per_set["overall"] = summarise_calls(every)
    per_set["overall"]["seconds"] = round(time.perf_counter() - started, 2)

    def cell(s: dict[str, Any]) -> str:
        share = "–" if s["share"] is None else f"{s['share']:.2f}"
        return f"{s['right']}/{s['of']} {share}"

    print(
        f"{'set':<9} {'calls':>5} {'district':>11} {'exact types':>11} {'polluter':>11} "
        f"{'all three':>11} {'redirect':>11} {'target named':>12} {'false transfers':>15}"
    )
    for name, s in per_set.items():
        print(
            f"{name:<9} {s['calls']:>5} {cell(s['district']):>11} {cell(s['exact_types']):>11} "
            f"{cell(s['polluter']):>11} {cell(s['all_three']):>11} {cell(s['redirect']):>11} "
            f"{cell(s['target_named']):>12} {s['false_transfers']:>15}"
        )
    if out:
        with open(out, "w", encoding="utf-8") as f:
            for row in every:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return per_set


def warm_up_text() -> str:
    from bot.nlp.transcripts.vocabulary import warm_up_transcript

    return warm_up_transcript()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per length (default 2)")
    parser.add_argument("--rasa-url", help="also time the webhook of a running stack")
    parser.add_argument("--token", default="", help="GW_INTERNAL_TOKEN of that stack")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--data", nargs="+", help="score the drafting on these transcript sets")
    parser.add_argument("--out", help="with --data: one JSON line per call here")
    args = parser.parse_args()
    if args.data:
        print(json.dumps(bench_sets(args.data, args.out), ensure_ascii=False))
        return 0
    cases = _cases()
    bench_lengths(cases, args.seconds)
    bench_accuracy(cases)
    if args.rasa_url:
        bench_webhook(cases, args.rasa_url, args.token, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
