"""Redaction benchmark (issue 18): what `bot.nlp.privacy.redact_personal` removes before results
are published, how often it touches text that has nothing personal, and its speed.

    .venv-app/bin/python bench/redaction.py                          # synthetic recall and speed
    .venv-app/bin/python bench/redaction.py --data FILE.jsonl [...]  # + over-masking on real texts

Recall: phone numbers (mobile and landline, 14 written forms: grouped, dashed, full-width, +86,
Chinese numerals 一三八…/幺三八…, spaced digit by digit…) and ID numbers (18 with X, 15), random
digits, put into sentences; a number counts as removed when none of its digits (in any script)
is left. Over-masking: on JSONL files with a `text` field (published complaints, which carry no
personal data), how many texts change, by kind; no text is printed. Prints ONE JSON line too.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlp import privacy  # noqa: E402

CN = "零一二三四五六七八九"


def _grouped(d: str, sep: str) -> str:
    return f"{d[:3]}{sep}{d[3:7]}{sep}{d[7:]}"


FORMS = {
    "plain": lambda d: d,
    "spaces": lambda d: _grouped(d, " "),
    "dashes": lambda d: _grouped(d, "-"),
    "dots": lambda d: _grouped(d, "."),
    "spaced dashes": lambda d: _grouped(d, " - "),
    "em dashes": lambda d: _grouped(d, "—"),
    "digit by digit": lambda d: " ".join(d),
    "full-width": lambda d: d.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    "+86": lambda d: f"+86 {d}",
    "0086": lambda d: f"0086{d}",
    "Chinese numerals": lambda d: "".join(CN[int(c)] for c in d),
    "幺 for 1": lambda d: "".join(CN[int(c)] for c in d).replace("一", "幺"),
    "mixed scripts": lambda d: d[:3] + "".join(CN[int(c)] for c in d[3:7]) + d[7:],
    "landline": lambda d: f"0816-{d[3:10]}",
}
TEMPLATES = ("我的电话{n}，请回电", "联系方式：{n}。", "有事打{n}找我", "{n}（本人）")
DIGITS = re.compile(r"[0-9０-９" + CN + "幺两]")


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _id_number(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(6))
    body += f"{rng.randint(1950, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += "".join(rng.choice("0123456789") for _ in range(3))
    return body + rng.choice("0123456789X")


def recall(n: int, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    out: dict[str, float] = {}
    for name, form in FORMS.items():
        removed = 0
        for i in range(n):
            written = form(_mobile(rng))
            text = TEMPLATES[i % len(TEMPLATES)].format(n=written)
            rest = privacy.redact_personal(text)
            removed += not DIGITS.search(rest)
        out[name] = removed / n
    ids = 0
    for i in range(n):
        number = _id_number(rng)
        if i % 3 == 0:
            number = number[:15] if i % 2 else f"{number[:6]} {number[6:14]} {number[14:]}"
        ids += not DIGITS.search(privacy.redact_personal(f"身份证号{number}，住本村"))
    out["ID number"] = ids / n
    return out


KINDS = {
    "ID number": privacy._ID_RE,
    "phone": privacy._MASK_RE,
    "contact after a cue": privacy._CUE_RE,
    "name after a cue": privacy._NAMED_RE,
    "X先生/X女士": privacy._ADDRESSED_RE,
}


def over_masking(paths: list[Path]) -> dict[str, object]:
    texts = [
        json.loads(line)["text"]
        for p in paths
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    changed = sum(privacy.redact_personal(t) != t for t in texts)
    staff = sum(privacy.mask_phones_in_text(t) != t for t in texts)
    kinds = {k: sum(bool(rx.search(privacy._fold(t))) for t in texts) for k, rx in KINDS.items()}
    return {"texts": len(texts), "changed": changed, "staff_changed": staff, "by_kind": kinds}


def speed(paths: list[Path], rounds: int = 20) -> float:
    texts = [TEMPLATES[0].format(n="13811110000") + "，河边化工厂夜里偷排" * 3] * 200
    for p in paths:
        texts += [json.loads(x)["text"] for x in p.read_text(encoding="utf-8").splitlines() if x]
    start = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            privacy.redact_personal(t, ["张小明"])
    return rounds * len(texts) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, nargs="*", default=[], help="JSONL files with `text`")
    ap.add_argument("--n", type=int, default=500, help="numbers per written form")
    args = ap.parse_args(argv)
    removed = recall(args.n)
    figures: dict[str, object] = {"recall": removed}
    print(f"removed (every digit gone), {args.n} random numbers per form:")
    for name, r in removed.items():
        print(f"  {name:<18} {r:6.1%}")
    if args.data:
        over = over_masking(args.data)
        figures["over_masking"] = over
        print(
            f"real texts: {over['changed']}/{over['texts']} changed by the public redaction, "
            f"{over['staff_changed']} by the staff views' phone masking; by kind: {over['by_kind']}"
        )
    rate = speed(args.data)
    figures["texts_per_s"] = round(rate)
    print(f"speed: {rate:,.0f} texts/s")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
