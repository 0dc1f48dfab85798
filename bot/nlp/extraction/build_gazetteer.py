"""Rebuilds the gazetteer CSVs under bot/data/extraction/ from JioNLP's offline division files.

Run by hand when the divisions change (not at run time; the project never needs jionlp itself):

    pip install jionlp==1.5.31   # into any scratch venv
    python -m bot.nlp.extraction.build_gazetteer --jionlp-dir /path/to/site-packages/jionlp/dictionary
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import zipfile
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parents[2] / "data" / "extraction"

#: Pseudo units in the source that are not real divisions (their children hang on the parent).
_VIRTUAL = ("市直辖行政区划", "省直辖行政区划", "省直辖县级行政区划", "县级行政区划")


def _read_location_lines(jionlp_dir: Path) -> list[str]:
    with zipfile.ZipFile(jionlp_dir / "china_location.zip") as zf:
        raw = zf.read("china_location.txt").decode("utf-8")
    return raw.splitlines()


def build(jionlp_dir: Path, out_dir: Path) -> tuple[int, int, int]:
    """Writes divisions.csv, towns.csv and renames.csv; returns their row counts."""
    divisions: list[tuple[str, str, str, str, str]] = []  # code, level, name, short, parent
    towns: list[tuple[str, str]] = []  # parent code (county, or city without counties), name
    stack: dict[int, str] = {}
    for line in _read_location_lines(jionlp_dir):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip("\t").split("\t")
        name = parts[0].strip()
        if depth <= 2 and len(parts) < 2:
            stack[depth] = ""  # units without an official code (台湾省's districts): skipped
            continue
        if depth <= 2:
            code, short = parts[1].strip(), (parts[2].strip() if len(parts) > 2 else name)
            parent = stack.get(depth - 1, "") if depth else ""
            level = ("province", "city", "county")[depth]
            if name in _VIRTUAL or (depth == 1 and code == parent):
                # 东莞市 > 市直辖行政区划 > towns: the towns belong to the city itself.
                # 湖北省 > 省直辖行政区划 > 仙桃市, 上海市 > 上海市 > 嘉定区: the counties hang
                # directly on the province.
                stack[depth] = parent
                continue
            if code == parent:
                stack[depth] = ""  # 香港/澳门 districts carry the region's code: skipped
                continue
            divisions.append((code, level, name, short, parent))
            stack[depth] = code
        elif depth == 3 and stack.get(2):
            towns.append((stack[2], name))
    renames = _renames(jionlp_dir, divisions)
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "divisions.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "level", "name", "short", "parent"])
        w.writerows(divisions)
    seen: set[tuple[str, str]] = set()
    common = _common_words()
    with (out_dir / "towns.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["parent", "name", "short"])
        for row in towns:
            if row not in seen:
                seen.add(row)
                w.writerow((*row, _town_short(row[1], common)))
    with (out_dir / "renames.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["old_name", "date", "code"])
        w.writerows(renames)
    return len(divisions), len(seen), len(renames)


_TOWN_SUFFIX = re.compile(r"(街道办事处|街道|镇|乡|苏木|地区办事处|办事处|农场|林场)$")


def _common_words() -> dict[str, tuple[int, str]]:
    """jieba's dictionary (word → frequency, tag), to keep common words out of short names."""
    import jieba

    path = Path(jieba.__file__).resolve().parent / "dict.txt"
    out: dict[str, tuple[int, str]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3:
                out[parts[0]] = (int(parts[1]), parts[2])
    return out


def _town_short(name: str, common: dict[str, tuple[int, str]]) -> str:
    """麻涌 for 麻涌镇; empty when the stem is an ordinary word (健康街道 → 健康 is no place)."""
    m = _TOWN_SUFFIX.search(name)
    if not m:
        return ""
    stem = name[: m.start()]
    if len(stem) < 2:
        return ""
    freq, tag = common.get(stem, (0, ""))
    if tag != "ns" and freq >= 100:
        return ""
    return stem


def _renames(
    jionlp_dir: Path, divisions: list[tuple[str, str, str, str, str]]
) -> list[tuple[str, str, str]]:
    """Old county/city names (射洪县 → 射洪市) mapped to the code of the unit that replaced them."""
    by_path: dict[tuple[str, ...], str] = {}
    names = {d[0]: d[2] for d in divisions}
    parents = {d[0]: d[4] for d in divisions}
    for code, level, name, _short, _parent in divisions:
        if level in ("city", "county"):
            path = [name]
            p = parents.get(code, "")
            while p:
                path.insert(0, names[p])
                p = parents.get(p, "")
            by_path[tuple(n for n in path if n not in _VIRTUAL)] = code
    current = {d[2] for d in divisions}
    out: list[tuple[str, str, str]] = []
    text = (jionlp_dir / "china_location_change.txt").read_text(encoding="utf-8")
    for line in io.StringIO(text):
        line = line.strip()
        if "=>" not in line:
            continue
        left, right = line.split("=>")
        lparts = left.split("\t")
        date, old = lparts[0], lparts[2:]
        new = tuple(p for p in right.split("\t") if p)
        old_full = old[0::2]  # full names only (full, short, full, short, …)
        if len(old_full) < 2 or new not in by_path:
            continue
        old_name = old_full[-1]
        if old_name in current:
            continue  # a name still in use elsewhere is no alias
        out.append((old_name, date, by_path[new]))
    return sorted(set(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jionlp-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    n_div, n_town, n_ren = build(args.jionlp_dir, args.out)
    sys.stdout.write(f"divisions={n_div} towns={n_town} renames={n_ren}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
