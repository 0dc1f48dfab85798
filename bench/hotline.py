"""Hotline drafting benchmark: drafts per second and latency by transcript length, and field
accuracy on the transcript set under tests/fixtures/hotline/.

    .venv-app/bin/python bench/hotline.py                      # drafting (bot/nlp/transcripts.py)
    .venv-app/bin/python bench/hotline.py --rasa-url http://127.0.0.1:5005 --token $GW_INTERNAL_TOKEN
                                                               # + the webhook of a running stack

Drafting = parse the transcript + one extraction pass + sentence attribution, what the channel
does before the bot's turn. The webhook figure adds the Rasa turn and the action server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per length (default 2)")
    parser.add_argument("--rasa-url", help="also time the webhook of a running stack")
    parser.add_argument("--token", default="", help="GW_INTERNAL_TOKEN of that stack")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    cases = _cases()
    bench_lengths(cases, args.seconds)
    bench_accuracy(cases)
    if args.rasa_url:
        bench_webhook(cases, args.rasa_url, args.token, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
