"""Place resolution: admin mentions in the text → province/city/district/town, plus address text.

A bare county (涪城区) or town (青义镇) is resolved inside the deployment city, then province;
a name that still fits several units is reported through `Place.candidates`, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlp.extraction import segment, villages
from bot.nlp.extraction.corrections import last_self_correction
from bot.nlp.extraction.gazetteer import (
    CITY,
    COUNTY,
    PROVINCE,
    TOWN,
    Gazetteer,
    gazetteer,
    unit_place,
)
from bot.nlp.extraction.types import Place

#: Detailed address pieces after the admin chain: 商家村3组, 建设路12号, 阳光小区, 南侧100米.
_ADDRESS_END_RE = re.compile(
    r".*(?:村|组|社区|小区|路|街|巷|弄|道|大道|号|栋|幢|楼|单元|室|院|苑|园|花园|广场|市场|学校|小学|中学|"
    r"医院|公园|桥|河|湖|山|站|厂|场|基地|口|旁|边|侧|附近|对面|周边|米|处|地|段|片区|工业园|园区|沟|湾|坝|坡|岭|庄|屯|寨|营)"
)
_ADDRESS_STOP_RE = re.compile(
    r"[，。；;！!？?,、\n]|有人|存在|长期|每天|经常|夜间|晚上|凌晨|白天|一直|严重|多次|有一|有个|有家"
)


_HOME_RE = re.compile(
    r"(?:住在|(?<!老)家住|(?<!老)家在|居住在|住的是|户籍在)[^，。；;！!？?,\n]{0,2}$"
)
#: 我是颍州区的居民, 我现在在尧都区打工: where the reporter lives or works. (Not 老家在: a
#: reporter names a home town they have left because the problem is there.)
_RESIDENT_BEFORE_RE = re.compile(r"我们?(?:现在|目前|平时|一直)?(?:是|在)[^，。；;！!？?,\n]{0,3}$")
_RESIDENT_AFTER_RE = re.compile(
    r"(?:[^，。；;！!？?,\n]{0,12}?的?(?:居民|住户|业主)|住|居住|生活|打工|上班|工作)"
)
_FROM_RE = re.compile(r"从$")  # 从X那边拉来: where something comes from, not the problem
_CLAUSE_PUNCT = "，。；;！!？?,\n"

#: Score from a city in the text or the deployment city; short names need at least this.
_CITY_SUPPORT = 6
_NATURAL_FEATURES = frozenset("山河江湖海岭峰溪湾")
#: Landmarks named after a place (白鹤水库, 青义水厂) may lie outside it, or serve a wide area.
#: After a short name these make it the name of a village or community (城厢社区, 青义村),
#: and villages of one name lie in many towns of a city.
_LOWER_UNITS = ("村", "社区", "居委", "组")
_ROADS = ("路", "大道", "大街", "街", "巷")  # after a town's short name
_NAMED_LANDMARKS = (
    "水库",
    "水电站",
    "电站",
    "湿地",
    "公园",
    "景区",
    "风景区",
    "大桥",
    "机场",
    "高速",
)
#: Score a town reaches only when the text names its county.
_COUNTY_SUPPORT = 16


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    codes: tuple[str, ...]
    strong: bool  # written in full (or a known alias)
    needs_county: bool = False  # 城厢办事处: counts only with its county named
    #: Weak names: candidates that count only when the text names their county (a town called
    #: just 高新区 or 开发区), beside others that do not (济南's county-level 高新区).
    county_only: frozenset[str] = frozenset()


def scan(text: str, gz: Gazetteer | None = None) -> list[Mention]:
    """Admin-unit names in `text`, longest match first, left to right."""
    gz = gz or gazetteer()
    out: list[Mention] = []
    i, n = 0, len(text)
    while i < n:
        lengths = gz.lengths_by_first.get(text[i])
        if lengths is None:
            i += 1
            continue
        for length in lengths:
            if i + length > n:
                continue
            piece = text[i : i + length]
            entries = gz.names.get(piece)
            if not entries:
                continue
            strong = [e for e in entries if e.strong]
            codes = tuple(e.code for e in strong) if strong else tuple(e.code for e in entries)
            after = text[i + length : i + length + 3]
            # A zone's name (经开区, 高新区) already says it is an area: 「高新区湿地公园」 lies
            # inside the zone, unlike 白鹤水库, which may be named after a town elsewhere.
            if (
                not strong
                and not piece.endswith("区")
                and (after[:1] in _NATURAL_FEATURES or after.startswith(_NAMED_LANDMARKS))
            ):
                continue  # 三台山, 魏城河, 白鹤水库: a landmark that crosses or serves many towns
            if not strong and after.startswith(_LOWER_UNITS):
                continue  # 城厢社区, 青义村: a village named like the town, not the town
            if not strong and _is_word_not_place(piece, text[i - 1 : i] if i else "", after):
                continue  # 新建了, 沿河的稻田, 汉江边上, 流到白河: a word or a river
            needs_county = bool(strong) and all(e.needs_county for e in strong)
            county_only: frozenset[str] = frozenset()
            if not strong:
                county_only = frozenset(e.code for e in entries if e.needs_county)
                if _road_follows(text, i + length):
                    # 安昌路: a city road named after a country town, which lies elsewhere
                    # unless the text names the town's county (a road named after a 街道 or a
                    # district, 安吉大道 or 包河大道, usually runs through it)
                    county_only |= {c for c in codes if gz.units[c].name.endswith(("镇", "乡"))}
            out.append(
                Mention(i, i + length, piece, codes, bool(strong), needs_county, county_only)
            )
            # A short name may hide a full one starting inside it (区青|青义镇): look again there.
            i += length if strong else 1
            break
        else:
            i += 1
    strong_spans = [(m.start, m.end) for m in out if m.strong]
    return [
        m for m in out if m.strong or not any(s < m.end and m.start < e for s, e in strong_spans)
    ]


@dataclass
class _Context:
    province: str | None
    city: str | None
    text_provinces: set[str]
    text_cities: set[str]
    text_counties: set[str]
    text_towns_parents: set[str]


def _context(
    gz: Gazetteer, mentions: list[Mention], province: str | None, city: str | None
) -> _Context:
    prov_code = None
    city_code = None
    if province:
        found = gz.find_by_name(province, PROVINCE)
        prov_code = found[0] if found else None
    if city:
        found = [c for c in gz.find_by_name(city) if gz.city_code(c) == c]
        if prov_code:
            found = [c for c in found if gz.is_under(c, prov_code)] or found
        city_code = found[0] if len(found) == 1 else None
        if city_code and not prov_code:
            prov_code = gz.province_code(city_code)
    ctx = _Context(prov_code, city_code, set(), set(), set(), set())
    for m in mentions:
        if not m.strong and len(m.codes) > 1:
            continue  # an ambiguous short name tells nothing about the context
        for code in m.codes:
            level = gz.unit(code).level
            if level == PROVINCE and m.strong:
                ctx.text_provinces.add(code)
            elif (level == CITY or (level == COUNTY and gz.city_code(code) == code)) and (
                m.strong or len(m.codes) == 1
            ):
                ctx.text_cities.add(code)
            if level == COUNTY and m.strong and len(m.codes) == 1:
                ctx.text_counties.add(code)
            if level == TOWN:
                ctx.text_towns_parents.add(gz.unit(code).parent)
    return ctx


def _score(gz: Gazetteer, code: str, ctx: _Context) -> int:
    """How well a unit fits what the text and the deployment say; 0 means no support at all."""
    unit = gz.unit(code)
    score = 0
    city = gz.city_code(code)
    prov = gz.province_code(code)
    if city and city in ctx.text_cities and city != code:
        score += 8
    if prov and prov in ctx.text_provinces:
        score += 2
    if unit.level == TOWN and unit.parent in ctx.text_counties:
        score += 16
    if unit.level == COUNTY and code in ctx.text_towns_parents:
        score += 4
    if ctx.city and (city == ctx.city or code == ctx.city):
        score += 6
    if ctx.province and prov == ctx.province:
        score += 1
    return score


@dataclass
class _Resolved:
    code: str | None
    candidates: list[str]
    mention: Mention


def _resolve_mention(gz: Gazetteer, m: Mention, ctx: _Context) -> _Resolved:
    codes = list(m.codes)
    if not m.strong:
        # Short names count only inside a city the text or the deployment names.
        cities = set(ctx.text_cities)
        if ctx.city:
            cities.add(ctx.city)
        codes = [
            c
            for c in codes
            if (gz.city_code(c) in cities or any(gz.is_under(c, x) for x in cities))
            and (c not in m.county_only or gz.unit(c).parent in ctx.text_counties)
        ]
    # A name that is both a county and a town (新都 …): prefer the higher level.
    scored = sorted(((_score(gz, c, ctx), c) for c in codes), reverse=True)
    if not scored:
        return _Resolved(None, [], m)
    best = scored[0][0]
    top = [c for s, c in scored if s == best]
    if not m.strong and best < _CITY_SUPPORT:
        return _Resolved(None, [], m)  # 安宁 in 安宁建材公司 is no 安宁市 of another city
    if m.needs_county and best < _COUNTY_SUPPORT:
        return _Resolved(None, [], m)
    if len(top) == 1:
        code = top[0]
        if best > 0:
            return _Resolved(code, [], m)
        # No support from context: only a strong name that is unique everywhere counts.
        if m.strong and len(codes) == 1 and gz.unit(code).level != TOWN:
            return _Resolved(code, [], m)
        if m.strong and len(codes) == 1 and gz.unit(code).level == TOWN and len(m.text) >= 4:
            return _Resolved(code, [], m)
        return _Resolved(None, [], m)
    if best == 0:
        return _Resolved(None, [], m)  # 城关镇 somewhere in China: no place worth asking about
    return _Resolved(None, top, m)


@dataclass(frozen=True)
class Located:
    """A place with where it is named (`text[start:end]`) and its county-level code (the county,
    or the city whose towns are its districts: 东莞), None without a district: for the spaCy
    pipeline (bot/nlp/pipeline), which marks it in the text and links it."""

    place: Place
    start: int
    end: int
    code: str | None


def find_places(
    text: str,
    *,
    province: str | None = None,
    city: str | None = None,
    avoid: list[tuple[int, int]] | None = None,
) -> list[Place]:
    """Every place named in `text`, most specific chain first; `avoid` spans (polluter names)
    are used only when nothing outside them names a place."""
    return [loc.place for loc in locate(text, province=province, city=city, avoid=avoid)]


def locate(
    text: str,
    *,
    province: str | None = None,
    city: str | None = None,
    avoid: list[tuple[int, int]] | None = None,
) -> list[Located]:
    """`find_places`, each place with its span and county-level code."""
    gz = gazetteer()
    mentions = scan(text, gz)
    if not mentions:
        return _village_places(gz, text, [], province, city)
    if any(not m.strong for m in mentions):
        # A short name must be a word of its own: 人和 in 老人和孩子 is no 人和镇.
        bounds = _word_bounds(text, [(m.start, m.end) for m in mentions if not m.strong])
        mentions = [m for m in mentions if m.strong or (m.start in bounds and m.end in bounds)]
    ctx = _context(gz, mentions, province, city)
    resolved = [_resolve_mention(gz, m, ctx) for m in mentions]
    chains = _chains(gz, text, resolved)
    ranked: list[tuple[tuple[bool, bool, bool, bool, bool, bool], Located]] = []
    cut = last_self_correction(text)
    for chain in chains:
        located = _to_place(gz, text, chain, ctx)
        if located is None:
            continue
        place = located.place
        strong = any(r.mention.strong for r in chain)
        inside = bool(avoid) and _inside(chain[0].mention, avoid or [])
        # Resolved before ambiguous; counties/towns before bare cities; full names before short
        # ones; names outside a polluter's name (三台宏达公司) before those inside it.
        # 「我住在涪城区，厂在游仙区魏城镇」: where the reporter lives comes after the problem.
        before = text[max(0, chain[0].mention.start - 6) : chain[0].mention.start]
        # 从闻喜县那边拉来废渣，倒在盐湖区: where something comes from ranks after it too
        resident = bool(_RESIDENT_BEFORE_RE.search(before)) and bool(
            _RESIDENT_AFTER_RE.match(text, chain[-1].mention.end)
        )
        elsewhere = bool(_HOME_RE.search(before) or _FROM_RE.search(before)) or resident
        superseded = chain[0].mention.start < cut  # 「在盐亭，不对，是梓潼的」: the latest wins
        key = (
            superseded,
            place.is_ambiguous,
            place.district is None and place.town is None,
            not strong,
            inside,
            elsewhere,
        )
        ranked.append((key, located))
    if not any(not k[0] and not k[1] and not k[2] for k, _ in ranked):
        ranked = [((False, *k[1:]), loc) for k, loc in ranked]  # it corrected something else
    ranked.sort(key=lambda kp: kp[0])  # stable: text order within a rank
    return _village_places(gz, text, [p for _, p in ranked], province, city)


def _village_places(
    gz: Gazetteer, text: str, found: list[Located], province: str | None, city: str | None
) -> list[Located]:
    """When no county or town was named (nor asked about), a village or community named in the
    text may still tell the county: looked up only inside one city (the one the text names, or
    the deployment city), among village names unique in that city. Failing a village, a road
    that a community of an urban district is named after (南昌路 → 南昌路社区) tells it too.
    Villages or roads of different counties make the place ambiguous (the bot asks); nothing is
    guessed."""
    if any(p.place.district or p.place.town or p.place.is_ambiguous for p in found):
        return found
    text_cities = {(p.place.province, p.place.city) for p in found if p.place.city}
    if len(text_cities) > 1:
        return found
    ctx = _context(gz, [], *(text_cities.pop() if text_cities else (province, city)))
    if ctx.city is None:
        return found
    bounds = lambda spans: _word_bounds(text, spans)  # noqa: E731
    hits = villages.find_landmarks(text, ctx.city, bounds)  # 南郊机场, 高新区 (landmarks.csv)
    if not hits and any(e in text for e in (*villages.ENDINGS, *villages.ROAD_ENDINGS)):
        hits = villages.find(text, gz, ctx.city, bounds) or villages.find_roads(
            text, gz, ctx.city, bounds
        )
    if not hits:
        return found
    counties = sorted({h.county for h in hits})
    first = hits[0]
    mention = Mention(first.start, first.end, first.name, (counties[0],), True)
    if len(counties) > 1:
        paths = list(dict.fromkeys(gz.full_path(_village_unit(gz, h)) + h.name for h in hits))
        ambiguous = Place(address=_address(text, first.start), mention=first.name, candidates=paths)
        return [Located(ambiguous, first.start, first.end, None), *found]
    towns = {h.town for h in hits}
    code = _village_unit(gz, first) if len(towns) == 1 else first.county
    located = _to_place(gz, text, [_Resolved(code, [], mention)], ctx)
    if located is None or not (located.place.district or located.place.town):
        return found
    resolved = located.place
    resolved.address = _address(text, first.start)
    resolved.mention = first.name
    return [located, *(p for p in found if p.place.city != resolved.city or p.place.district)]


def _village_unit(gz: Gazetteer, hit: villages.VillageHit) -> str:
    code = f"{hit.county}:{hit.town}"
    return code if hit.town and code in gz.units else hit.county


def _word_bounds(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Word boundaries of jieba's segmentation, computed only for the clauses holding `spans`
    (segmenting a whole letter for one short name costs more than the rest of extraction)."""
    bounds: set[int] = {0}
    done: set[int] = set()
    for start, _end in spans:
        lo = max((text.rfind(p, 0, start) for p in _CLAUSE_PUNCT), default=-1) + 1
        if lo in done:
            continue
        done.add(lo)
        hi = min(
            (j for j in (text.find(p, start) for p in _CLAUSE_PUNCT) if j >= 0), default=len(text)
        )
        pos = lo
        bounds.add(pos)
        for tok in segment.cut(text[lo:hi]):
            pos += len(tok)
            bounds.add(pos)
    return bounds


#: After a short name ending 江/河/湖/海/溪, these make it the water body (汉江边上, 涪江二桥).
_WATER_CONTEXT_RE = re.compile(
    r"(?:[一二三四五六七八九]?桥|边|岸|畔|里|上游|下游|段|滩|堤|堰|沿|两岸|流域|大坝|江面|河面|水面)"
)
#: Before such a name, these make it the water body too (流到白河, 沿涪江).
_WATER_VERBS = frozenset("到入进向往沿临跨经")


def _is_word_not_place(piece: str, before: str, after: str) -> bool:
    """A short name that reads as an ordinary word or a river here: directly followed by a
    particle (新建了), 沿河/临江 ("along the river"), or a name ending 江/河/湖/海/溪 used as the
    water body (汉江边上, 涪江二桥, 流到白河)."""
    if after[:1] in ("了", "着", "过"):
        return True
    if len(piece) == 2 and piece[0] in "沿临滨靠" and piece[1] in _NATURAL_FEATURES:
        return True
    if piece[-1] in "江河湖海溪":
        return before in _WATER_VERBS or bool(_WATER_CONTEXT_RE.match(after))
    return False


def _inside(m: Mention, spans: list[tuple[int, int]]) -> bool:
    return any(s <= m.start and m.end <= e for s, e in spans)


def _chains(gz: Gazetteer, text: str, resolved: list[_Resolved]) -> list[list[_Resolved]]:
    """Groups neighbouring mentions that belong together: 绵阳市 涪城区 青义镇 is one chain."""
    chains: list[list[_Resolved]] = []
    for r in resolved:
        if r.code is None and not r.candidates:
            continue
        if chains:
            last = chains[-1][-1]
            gap = text[last.mention.end : r.mention.start]
            if len(gap) <= 12 and not re.search(r"[，。；;！!？?\n]", gap) and _fits(gz, last, r):
                chains[-1].append(r)
                continue
        chains.append([r])
    return chains


def _fits(gz: Gazetteer, upper: _Resolved, lower: _Resolved) -> bool:
    if upper.code is None or lower.code is None:
        return upper.code is not None and any(gz.is_under(c, upper.code) for c in lower.candidates)
    return gz.is_under(lower.code, upper.code) or gz.is_under(upper.code, lower.code)


def _to_place(gz: Gazetteer, text: str, chain: list[_Resolved], ctx: _Context) -> Located | None:
    codes = [r.code for r in chain if r.code]
    start, end = chain[0].mention.start, chain[-1].mention.end
    mention = text[start:end]
    last_m = chain[-1].mention
    # 北川县安昌路: the town's short name is part of the road's, so of the address too
    road_named = not last_m.strong and text.startswith(_ROADS, last_m.end)
    address = _address(text, last_m.start if road_named else last_m.end)
    if not codes:
        cands = chain[-1].candidates
        paths = [gz.full_path(c) for c in cands]
        return Located(Place(address=address, mention=mention, candidates=paths), start, end, None)
    deepest = max(codes, key=lambda c: _depth(gz, c))
    # Candidates lower in the chain that the upper part narrows down to one.
    last = chain[-1]
    if last.code is None and last.candidates:
        inside = [c for c in last.candidates if gz.is_under(c, deepest)]
        if len(inside) == 1:
            deepest = inside[0]
    place, code = unit_place(gz, deepest)
    place.address, place.mention = address, mention
    return Located(place, start, end, code)


def _road_follows(text: str, pos: int) -> bool:
    """路/街/大道 … (not 街道, a town) right at `pos`: the name before it is part of a road's."""
    return text.startswith(_ROADS, pos) and not text.startswith("街道", pos)


def _depth(gz: Gazetteer, code: str) -> int:
    unit = gz.unit(code)
    return {PROVINCE: 0, CITY: 1, COUNTY: 2, TOWN: 3}[unit.level]


def _address(text: str, start: int) -> str | None:
    """The detailed address right after the admin chain (村/组/路/号/小区/landmark), as given."""
    rest = text[start : start + 60]
    stop = _ADDRESS_STOP_RE.search(rest)
    if stop:
        rest = rest[: stop.start()]
    m = _ADDRESS_END_RE.match(rest)
    if not m:
        return None
    address = m.group(0).strip().lstrip("的在")
    return address or None
