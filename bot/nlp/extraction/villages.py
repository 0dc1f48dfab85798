"""Villages and communities (村/社区/嘎查) → their county, for complaints that name no county or town.

Data: bot/data/extraction/villages.csv.gz, built by `python -m bot.nlp.extraction.build_villages`
(source and date in bot/data/extraction/README.md). It holds only villages whose name is unique
within their city, so a name found here, looked up inside one city (the city the text names, or
the deployment city), means one county. Loaded on first use; indexed per city on first use of
that city.

A name counts only as a word of its own: it starts where jieba puts a word boundary, and what
stands right before it is not a lone character that could be the first part of a longer village
name (张|龙溪村 is no 龙溪村): punctuation, a function word (在, 的, 于 …), a word of two or more
characters, or the end of an admin or street name (…镇, …路).

A road (南昌路, 五马街) counts too when the city has a community (南昌路社区, or 临园路东段社区
for a section of it) or a street office (五马街道) named after it, all in one urban district (区): in a city, a community or an office
named after a road lies on that road. County seats repeat the big cities' road names (农业路),
so a community in a county or county-level city does not count, nor a road name that
communities all over the country are named after (人民路, 建设路, 八一路), nor a street that is
described, not named (步行街).
"""

from __future__ import annotations

import gzip
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from bot.nlp.extraction._data import data_path, read_csv
from bot.nlp.extraction.gazetteer import Gazetteer

_FILE = "villages.csv.gz"
ENDINGS = ("村", "社区", "嘎查")
ROAD_ENDINGS = ("路", "街", "大道")
#: A road name given to communities in this many counties of the country is one every town has.
_COMMON_ROAD = 5
_DESCRIBED_STREETS = frozenset({"步行街", "商业街", "美食街", "小吃街", "夜市街", "商业步行街"})
#: Single characters after which a village name starts a word of its own.
_BEFORE_OK = frozenset("在的于到是和与及对近靠往至从向旁由把被经了")
_ADMIN_END = frozenset("省市区县镇乡街道路巷里")


@dataclass(frozen=True)
class VillageHit:
    start: int
    end: int
    name: str
    county: str  # county code (or the code of a city without counties: 东莞市)
    town: str  # the town's current name, "" when the source's town was merged away


_lock = threading.Lock()
_raw: dict[str, list[tuple[str, str, str]]] | None = None  # county → (town, names)
_by_city: dict[str, dict[str, tuple[str, str]]] = {}
_max_len: dict[str, int] = {}
_common_roads: frozenset[str] | None = None
_roads_by_city: dict[str, dict[str, tuple[str, str]]] = {}
_roads_max_len: dict[str, int] = {}


def _load_raw() -> dict[str, list[tuple[str, str, str]]]:
    global _raw
    if _raw is None:
        with _lock:
            if _raw is None:
                raw: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
                with gzip.open(data_path(_FILE), "rt", encoding="utf-8") as fh:
                    next(fh, None)  # header
                    for line in fh:
                        county, town, names = line.rstrip("\n").split(",", 2)
                        raw[county].append((county, town, names))
                _raw = dict(raw)
    return _raw


#: A community named after one section of a road (临园路东段社区, 西蜀大道北段社区) or numbered
#: along it (剑南路第一社区, 花园路二社区) lies on that road too.
_ROAD_SECTION_RE = re.compile(
    r"(.{2,}?(?:路|街|大道))(?:[东西南北中]段|[一二三四五六七八九十]段|第?[一二三四五六七八九十])社区"
)


def _road_of(community: str) -> str | None:
    """The road a community is named after: 南昌路社区 → 南昌路, 临园路东段社区 → 临园路 (None for
    龙溪村, 青漪社区)."""
    if community.endswith(("路社区", "街社区", "道社区")):
        return community[: -len("社区")]
    section = _ROAD_SECTION_RE.fullmatch(community)
    return section.group(1) if section else None


def _load_common_roads() -> frozenset[str]:
    """Road names (南京路) whose community (南京路社区) is found in `_COMMON_ROAD` counties or more."""
    global _common_roads
    if _common_roads is None:
        counts: Counter[str] = Counter()
        for rows in _load_raw().values():
            roads = (_road_of(n) for _county, _town, names in rows for n in names.split(" "))
            counts.update({road for road in roads if road})
        _common_roads = frozenset(n for n, c in counts.items() if c >= _COMMON_ROAD)
    return _common_roads


def index_for_city(gz: Gazetteer, city: str) -> dict[str, tuple[str, str]]:
    """Village name → (county code, town) for one city (a 地级市, a municipality, or a
    county-level city that acts as its own city)."""
    found = _by_city.get(city)
    if found is not None:
        return found
    raw = _load_raw()
    index: dict[str, tuple[str, str]] = {}
    counties = [city, *_counties(gz, city)]
    for county in counties:
        for code, town, names in raw.get(county, ()):
            for name in names.split(" "):
                index[name] = (code, town)
    with _lock:
        _by_city[city] = index
        _max_len[city] = max((len(n) for n in index), default=0)
    return index


def _counties(gz: Gazetteer, city: str) -> list[str]:
    return [c for c in gz.children.get(city, ()) if ":" not in c]


def find(
    text: str,
    gz: Gazetteer,
    city: str,
    word_bounds: Callable[[list[tuple[int, int]]], set[int]],
) -> list[VillageHit]:
    """Villages of `city` named in `text`, left to right (the longest known name at each
    ending). `word_bounds(spans)` gives jieba's word boundaries around the spans."""
    index = index_for_city(gz, city)
    return _find(text, index, _max_len.get(city, 0), word_bounds, ENDINGS)


def find_roads(
    text: str,
    gz: Gazetteer,
    city: str,
    word_bounds: Callable[[list[tuple[int, int]]], set[int]],
) -> list[VillageHit]:
    """Roads of `city` named in `text` that a community or a street office of an urban district
    is named after (南昌路 → 南昌路社区 → 城关区; 五马街 → 五马街道 → 鹿城区), left to right;
    `town` is empty (a road crosses towns)."""
    index = roads_for_city(gz, city)
    hits = _find(text, index, _roads_max_len.get(city, 0), word_bounds, ROAD_ENDINGS)
    # 东升街道 is a street office, not the road 东升街
    return [h for h in hits if not (h.name.endswith("街") and text.startswith("道", h.end))]


def roads_for_city(gz: Gazetteer, city: str) -> dict[str, tuple[str, str]]:
    """Road name → (county code, "") for the roads of one city that tell their district."""
    found = _roads_by_city.get(city)
    if found is not None:
        return found
    counties: dict[str, set[str]] = defaultdict(set)
    for name, (county, _town) in index_for_city(gz, city).items():
        road = _road_of(name)
        if road:
            counties[road].add(county)
    for county in _counties(gz, city):
        for code in gz.children.get(county, ()):
            office = gz.units[code].name
            if office.endswith(("路街道", "街街道", "大道街道")):
                counties[office[: -len("街道")]].add(county)  # 解放路街道 → 解放路
            elif office.endswith("街道"):
                counties[office[: -len("道")]].add(county)  # 五马街道 → 五马街
    common = _load_common_roads()
    roads = {
        road: (next(iter(codes)), "")
        for road, codes in counties.items()
        if len(codes) == 1
        and gz.units[next(iter(codes))].name.endswith("区")
        and road not in common
        and road not in _DESCRIBED_STREETS
    }
    with _lock:
        _roads_by_city[city] = roads
        _roads_max_len[city] = max((len(n) for n in roads), default=0)
    return roads


def _find(
    text: str,
    index: dict[str, tuple[str, str]],
    longest: int,
    word_bounds: Callable[[list[tuple[int, int]]], set[int]],
    endings: tuple[str, ...],
) -> list[VillageHit]:
    """Names in `index` ending in one of `endings`, standing alone in `text`, left to right."""
    if not index:
        return []
    found: list[VillageHit] = []
    for ending in endings:
        pos = text.find(ending)
        while pos >= 0:
            end = pos + len(ending)
            # A name of at least two characters before its ending (龙溪村, 南昌路).
            for length in range(min(longest, end), len(ending) + 1, -1):
                entry = index.get(text[end - length : end])
                if entry is not None:
                    found.append(VillageHit(end - length, end, text[end - length : end], *entry))
                    break
            pos = text.find(ending, end)
    if not found:
        return []
    found.sort(key=lambda h: (h.start, -h.end))
    kept: list[VillageHit] = []
    for h in found:
        if kept and h.start < kept[-1].end:
            continue  # inside a longer name already taken
        kept.append(h)
    bounds = word_bounds([(h.start, h.end) for h in kept])
    return [h for h in kept if _stands_alone(text, h.start, bounds)]


def _stands_alone(text: str, start: int, bounds: set[int]) -> bool:
    if start == 0:
        return True
    before = text[start - 1]
    if not ("\u4e00" <= before <= "\u9fff"):
        return True
    if start not in bounds:
        return False
    if before in _BEFORE_OK or before in _ADMIN_END:
        return True
    # A word of two or more characters ends right here (位于|龙溪村, 我们|龙溪村).
    return start - 1 not in bounds


_LANDMARKS = "landmarks.csv"
_landmarks: dict[str, list[tuple[str, str]]] | None = None


def landmarks_for_city(city: str) -> list[tuple[str, str]]:
    """(landmark name, county code) of one city, longest name first (landmarks.csv: stations,
    parks, schools, industrial parks and the everyday names of zones, each with its page)."""
    global _landmarks
    if _landmarks is None:
        loaded: dict[str, dict[str, str]] = defaultdict(dict)
        for row in read_csv(_LANDMARKS):
            loaded[row["city"]][row["name"]] = row["county"]
        by_length = {c: sorted(n.items(), key=lambda kv: -len(kv[0])) for c, n in loaded.items()}
        with _lock:
            _landmarks = by_length
    return _landmarks.get(city, [])


#: What may follow a road's last character inside one jieba word and still be about the road
#: (跃进路口, 东津路上, 临园路段): a place word. Anything else (跃进路桥 of a 路桥公司, 东升街道, the
#: office) makes the road's name the start of a longer name.
_ROAD_CONTINUATIONS = frozenset("口上边旁段面头里内外侧")


def find_landmarks(
    text: str,
    city: str,
    word_bounds: Callable[[list[tuple[int, int]]], set[int]] | None = None,
) -> list[VillageHit]:
    """Landmarks of `city` named in `text`, longest name first, left to right, not overlapping.

    With `word_bounds` (jieba's word boundaries around the spans, as for villages), a road, street
    or lane (…路, …街, …巷, …大道) counts only as a name of its own: it starts on a word boundary
    and ends on one, or in a place word that jieba glued to its last character (跃进路口, 东津路上).
    So 跃进路 names no place in 「跃进路桥公司」 (a 路桥 company), nor 五马街 in 「五马街道」. Other
    landmarks (南郊机场, 高新区) are taken wherever they stand, as before.
    """
    found: list[VillageHit] = []
    taken: list[tuple[int, int]] = []
    for name, county in landmarks_for_city(city):
        at = text.find(name)
        while at >= 0 and any(s < at + len(name) and at < e for s, e in taken):
            at = text.find(name, at + 1)
        if at < 0:
            continue
        taken.append((at, at + len(name)))
        found.append(VillageHit(at, at + len(name), name, county, ""))
    roads = [h for h in found if h.name.endswith(_LANDMARK_ROADS)]
    if roads and word_bounds is not None:
        bounds = word_bounds([(h.start, h.end) for h in roads])
        found = [h for h in found if h not in roads or _road_stands_alone(text, h, bounds)]
    return sorted(found, key=lambda h: h.start)


_LANDMARK_ROADS = ("路", "街", "巷", "大道")


def _road_stands_alone(text: str, hit: VillageHit, bounds: set[int]) -> bool:
    """`hit` (a road) starts on a word boundary and ends on one or inside a place word glued to
    its last character (路口, 路上): see `find_landmarks`."""
    if hit.start not in bounds:
        return False
    if hit.end in bounds or hit.end >= len(text):
        return True
    # jieba glued the last character to what follows: 路口 is the road, 路桥 or 街道 is not.
    nxt = min((b for b in bounds if b > hit.end), default=len(text))
    glued = text[hit.end : nxt]
    return hit.end - 1 in bounds and len(glued) == 1 and glued in _ROAD_CONTINUATIONS
