"""Places learnt from staff corrections (issue 15, "the deployment learns"): phrase → county.

The gazetteer knows China's counties and towns, and bot/nlp/extraction knows some of their
villages, roads and landmarks; what a deployment's complaints call 幸福村三组, 金鱼巷 or 老粮站
it learns only from its staff. When staff correct an issue's district (or town) in the console,
`make export-corrections` keeps the correction on the Doc (`doc._.gw_corrected`, corrections.py)
and `make train-extraction` calls `learn_from_docs`:

1. The correction's district/town becomes a unit of the issue's city (`target`); a correction
   that names no unit of that city, or several, teaches nothing.
2. Candidate place phrases are mined from the text (`mine`, place_mining.py): a phrase ending in a place suffix
   (路 街 巷 村 组 社区 小区 花园 广场 市场 公园 大桥 厂区 园区 坝 湾 …), the name between 在/位于 and
   附近/旁边, and jieba's `ns` words; each must pass the generic filter of
   bot/data/extraction/place_phrases.yml (菜市场, 城中村, 建设路 say nothing about where).
3. Phrases the resolver already resolved to the corrected county, and phrases holding a full
   gazetteer name (those stay the gazetteer's), are left out; the rest (unresolved, or resolved
   by a village or road to another county) are the evidence.
4. The rule: a phrase is learnt for a city when it was seen in at least `min_support`
   corrections (1 by default), all with ONE county, and never with another. A phrase seen with
   two counties is a conflict: it teaches nothing (kept in `conflicts`, so a later correction
   does not quietly revive it). The town is kept when every correction that gave one agrees.

The table (`PlaceTable`) is saved with the pipeline by the `gw_places` component
(`to_disk`/`from_disk`, like the tokenizer's dictionary), which uses it below the gazetteer:
a learnt phrase places a complaint only when the rules found no district, or when it contains
the span the rules read (a road named like a village elsewhere). A learnt phrase is looked up
only in the city it was learnt for (the text's city, else the deployment's).

Hand-written, because no library does this: spaCy's EntityLinker links to a knowledge base it
is given and needs many examples per entity to train a vector model; cpca and jionlp resolve
names from fixed national lists. Counting agreeing corrections into a small table that staff can
read (`learnt_places.json` in the saved pipeline) is all this needs.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import srsly
from spacy.tokens import Doc

from bot.nlp.extraction import Place, places, polluters
from bot.nlp.extraction.gazetteer import (
    CITY,
    COUNTY,
    PROVINCE,
    TOWN,
    Gazetteer,
    gazetteer,
    unit_place,
)
from bot.nlp.extraction.places import Located
from bot.nlp.extraction.text import normalise
from bot.nlp.pipeline.place_mining import CJK_OR_DIGIT, Phrase, mine

logger = logging.getLogger(__name__)

#: Corrections (all with one county, none with another) a phrase needs to be learnt.
MIN_SUPPORT = 1
#: The file the places component saves its table in.
FILE = "learnt_places.json"
_FORMAT = 1


@dataclass(frozen=True)
class Correction:
    """What one staff correction says about a place: the issue's text and context, and the
    district and/or town staff gave it."""

    text: str
    province: str | None
    city: str | None
    district: str | None = None
    town: str | None = None


@dataclass(frozen=True)
class Target:
    """The unit a correction names: the county-level code (the kb_id of PLACE entities) and the
    town's code when staff gave one."""

    county: str
    town: str | None = None


@dataclass(frozen=True)
class Edges:
    """Where a learnt phrase may start (`starts`) and end (`ends`) in a text (`word_edges`)."""

    starts: frozenset[int]
    ends: frozenset[int]


#: Single characters after which a name starts a word of its own (as villages.py has it: 张|龙溪村
#: is no 龙溪村, 在|龙溪村 is).
_BEFORE_OK = frozenset("在的于到是和与及对近靠往至从向旁由把被经了省市区县镇乡街道路巷里")


def word_edges(words: Iterable[tuple[int, str]]) -> Edges:
    """The edges of jieba's words (offset, text): every boundary ends a word; a name starts on
    one unless a lone character that could begin a longer name stands before it (新|幸福村)."""
    starts: set[int] = set()
    ends: set[int] = {0}
    before = ""
    for idx, word in words:
        if len(before) != 1 or before in _BEFORE_OK or not CJK_OR_DIGIT.match(before):
            starts.add(idx)
        ends.add(idx + len(word))
        before = word.strip() or "，"
    return Edges(frozenset(starts), frozenset(ends))


@dataclass(frozen=True)
class LearntPlace:
    county: str
    town: str | None
    support: int


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    phrase: str
    place: LearntPlace


@dataclass
class PlaceTable:
    """Learnt phrases per city code: `entries[city][phrase]`; `conflicts[city]`: phrases seen
    with more than one county, which teach nothing."""

    entries: dict[str, dict[str, LearntPlace]] = field(default_factory=dict)
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    #: Per city: first character → phrase lengths, longest first (built on first look-up).
    _index: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict, repr=False)
    _size: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self._size = sum(len(v) for v in self.entries.values())

    def __len__(self) -> int:
        return self._size

    def find(self, text: str, city: str, edges: Edges | None = None) -> list[Hit]:
        """Learnt phrases of `city` in `text`, longest first at each position, left to right,
        not overlapping; with `edges` (`word_edges`), only phrases that start where a name can
        and end on a word boundary or a character before (jieba joins the suffix to what
        follows: 金鱼|巷口)."""
        table = self.entries.get(city)
        if not table:
            return []
        index = self._index.get(city)
        if index is None:
            lengths: dict[str, set[int]] = defaultdict(set)
            for phrase in table:
                lengths[phrase[0]].add(len(phrase))
            index = {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}
            self._index[city] = index
        out: list[Hit] = []
        i, n = 0, len(text)
        while i < n:
            for length in index.get(text[i], ()):
                piece = text[i : i + length]
                end = i + length
                if piece in table and (
                    edges is None
                    or (i in edges.starts and (end in edges.ends or end - 1 in edges.ends))
                ):
                    out.append(Hit(i, i + length, piece, table[piece]))
                    i += length
                    break
            else:
                i += 1
        return out

    # -- saved with the pipeline -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "entries": {
                city: {
                    p: {"county": e.county, "town": e.town, "support": e.support}
                    for p, e in sorted(table.items())
                }
                for city, table in sorted(self.entries.items())
            },
            "conflicts": {city: sorted(ps) for city, ps in sorted(self.conflicts.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlaceTable:
        if data.get("format") != _FORMAT:
            raise ValueError(f"learnt places format {data.get('format')}, expected {_FORMAT}")
        entries = {
            city: {
                p: LearntPlace(str(e["county"]), e.get("town"), int(e["support"]))
                for p, e in table.items()
            }
            for city, table in data.get("entries", {}).items()
        }
        conflicts = {city: list(ps) for city, ps in data.get("conflicts", {}).items()}
        return cls(entries, conflicts)

    def to_disk(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / FILE, self.to_json())

    @classmethod
    def from_disk(cls, path: Path) -> PlaceTable:
        """The table saved in `path`; an empty one when there is none (a pipeline saved before
        places were learnt)."""
        file = path / FILE
        if not file.is_file():
            return cls()
        return cls.from_json(srsly.read_json(file))


# -- the gazetteer side ------------------------------------------------------------------------
@lru_cache(maxsize=256)
def city_code(province: str | None, city: str | None) -> str | None:
    """The code of the city-level unit named `city` (in `province` when given), None when there
    is no such one city: the city whose learnt phrases a text is looked up in."""
    if not city:
        return None
    gz = gazetteer()
    found = [c for c in gz.find_by_name(city) if gz.city_code(c) == c]
    if province and len(found) > 1:
        prov = gz.find_by_name(province, PROVINCE)
        if prov:
            found = [c for c in found if gz.is_under(c, prov[0])] or found
    return found[0] if len(found) == 1 else None


def _county_level(gz: Gazetteer, code: str) -> str | None:
    """The county-level code of a unit, as places.py links PLACE entities: the county, or the
    city whose towns are its districts (东莞)."""
    unit = gz.unit(code)
    if unit.level == TOWN:
        return unit.parent if gz.acts_as_city(unit.parent) else _county_level(gz, unit.parent)
    if unit.level == COUNTY:
        return code
    if unit.level in (CITY, PROVINCE) and gz.acts_as_city(code):
        return code
    return None


def target(correction: Correction) -> Target | None:
    """The unit staff gave, inside the issue's city; None when it is no single unit there."""
    gz = gazetteer()
    within = city_code(correction.province, correction.city)
    if within is None:
        return None
    county: str | None = None
    town: str | None = None
    if correction.district:
        codes = {
            c
            for c in gz.find_by_name(correction.district, within=within)
            if gz.unit(c).level == COUNTY
            or (gz.unit(c).level == TOWN and gz.acts_as_city(gz.unit(c).parent))  # 东莞: a town
        }
        if len(codes) != 1:
            return None
        (code,) = codes
        county = _county_level(gz, code)
        if gz.unit(code).level == TOWN:
            town = code
    if correction.town and town is None:
        codes = set(gz.find_by_name(correction.town, TOWN, within=county or within))
        if len(codes) == 1:
            (town,) = codes
            county = county or _county_level(gz, town)
    return Target(county, town) if county else None


def place_of(code: str) -> Place:
    """The Place of a unit (a county-level unit or a town), as places.py fills it."""
    return unit_place(gazetteer(), code)[0]


# -- learning ----------------------------------------------------------------------------------
def evidence(correction: Correction, goal: Target) -> list[Phrase]:
    """The phrases one correction teaches: mined from its text, less those the resolver already
    resolved to the corrected county and those holding a full gazetteer name."""
    text = normalise(correction.text)
    gz = gazetteer()
    strong = [(m.start, m.end) for m in places.scan(text, gz) if m.strong]
    avoid = [(c.start, c.end) for c in polluters.find(text)]
    located = places.locate(text, province=correction.province, city=correction.city, avoid=avoid)
    right = [(loc.start, loc.end) for loc in located if loc.code == goal.county]
    return [
        p for p in mine(text, avoid=strong) if not any(s < p.end and p.start < e for s, e in right)
    ]


@dataclass
class Learning:
    """What `learn` did, for the build's log and the bench."""

    table: PlaceTable
    corrections: int = 0  # corrections of district or town
    unresolved: int = 0  # of which naming no single unit of the city
    phrases: int = 0  # phrases seen (before the rule)

    def describe(self) -> str:
        conflicts = sum(len(v) for v in self.table.conflicts.values())
        return (
            f"{len(self.table)} phrases from {self.corrections} district/town corrections "
            f"({self.unresolved} naming no single unit of their city); {self.phrases} phrases "
            f"seen, {conflicts} of them with two counties (not learnt)"
        )


def learn(corrections: Iterable[Correction], *, min_support: int = MIN_SUPPORT) -> Learning:
    """The learnt table from corrections, by the rule of the module docstring."""
    counties: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    towns: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    result = Learning(PlaceTable())
    entries: dict[str, dict[str, LearntPlace]] = {}
    conflicts: dict[str, list[str]] = {}
    for corr in corrections:
        result.corrections += 1
        goal = target(corr)
        within = city_code(corr.province, corr.city)
        if goal is None or within is None:
            result.unresolved += 1
            continue
        for phrase in {p.text for p in evidence(corr, goal)}:
            counties[within, phrase][goal.county] += 1
            if goal.town:
                towns[within, phrase][goal.town] += 1
    result.phrases = len(counties)
    for (city, phrase), seen in sorted(counties.items()):
        if len(seen) > 1:
            conflicts.setdefault(city, []).append(phrase)
            continue
        ((county, support),) = seen.items()
        if support < min_support:
            continue
        named = towns.get((city, phrase), Counter())
        town = next(iter(named)) if len(named) == 1 else None
        entries.setdefault(city, {})[phrase] = LearntPlace(county, town, support)
    result.table = PlaceTable(entries, conflicts)
    return result


def corrections_of(
    docs: Iterable[Doc], province: str | None = None, city: str | None = None
) -> list[Correction]:
    """The place corrections among exported correction Docs (corrections.py): those whose
    district or town staff set, each in its issue's context (the deployment's when it has none)."""
    from bot.nlp.pipeline.doc import context_of

    out: list[Correction] = []
    for doc in docs:
        fields: dict[str, Any] = doc._.gw_corrected or {}
        district = (fields.get("district") or "").strip() or None
        town = (fields.get("town") or "").strip() or None
        if not (district or town):
            continue
        ctx = context_of(doc)
        prov, cty = (ctx.province, ctx.city) if ctx and ctx.city else (province, city)
        out.append(Correction(doc.text, prov, cty, district, town))
    return out


def learn_from_docs(
    docs: Iterable[Doc],
    province: str | None = None,
    city: str | None = None,
    *,
    min_support: int = MIN_SUPPORT,
) -> Learning:
    """What `make train-extraction` calls on the exported corrections."""
    return learn(corrections_of(docs, province, city), min_support=min_support)


# -- using the table ---------------------------------------------------------------------------
def resolve(
    table: PlaceTable,
    text: str,
    located: list[Located],
    *,
    province: str | None,
    city: str | None,
    words: Iterable[tuple[int, str]] | None = None,
) -> tuple[list[Located], list[str]]:
    """The rules' places with the learnt ones where they apply: (places, learnt phrases used).
    `words`: the text's jieba words (offset, text), whose edges a phrase must respect.

    Below the gazetteer: a learnt phrase is used only when no place the rules found has a
    district, or when the rules' first place lies inside the learnt phrase (a road or village
    that the rules' lists put in another county, and staff in this one). Phrases of different
    counties make the place ambiguous, as the rules do; phrases are looked up in the city the
    text names, else the deployment's."""
    if not len(table):
        return located, []
    cities = {(loc.place.province, loc.place.city) for loc in located if loc.place.city}
    if len(cities) > 1:
        return located, []
    within = city_code(*(cities.pop() if cities else (province, city)))
    if within is None:
        return located, []
    hits = table.find(text, within)
    if hits and words is not None:  # only then are the word edges worth working out
        hits = table.find(text, within, word_edges(words))
    if not hits:
        return located, []
    with_district = [loc for loc in located if loc.place.district]
    if with_district:
        first = with_district[0]
        if not any(h.start <= first.start and first.end <= h.end for h in hits):
            return located, []
    gz = gazetteer()
    counties = list(dict.fromkeys(h.place.county for h in hits))
    first_hit = hits[0]
    if len(counties) > 1:
        paths = list(dict.fromkeys(gz.full_path(h.place.town or h.place.county) for h in hits))
        place = Place(mention=first_hit.phrase, address=first_hit.phrase, candidates=paths)
        learnt = Located(place, first_hit.start, first_hit.end, None)
    else:
        towns = {h.place.town for h in hits if h.place.town}
        code = towns.pop() if len(towns) == 1 else counties[0]
        place = place_of(code)
        place.mention = place.address = first_hit.phrase
        learnt = Located(place, first_hit.start, first_hit.end, counties[0])
    rest = [loc for loc in located if not (first_hit.start <= loc.start < first_hit.end)]
    return [learnt, *rest], [h.phrase for h in hits]
