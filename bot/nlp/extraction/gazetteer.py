"""China's administrative divisions (province → city → county → town) and name look-up.

Data: bot/data/extraction/divisions.csv (province/city/county with official codes), towns.csv
(乡/镇/街道 per county), renames.csv (old names such as 射洪县 → 射洪市) and zones.csv (functional
zones the official list lacks). See bot/data/extraction/README.md for sources and dates.
Loaded once per process, on first use.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from bot.nlp.extraction._data import read_csv
from bot.nlp.extraction.types import Place

logger = logging.getLogger(__name__)

PROVINCE, CITY, COUNTY, TOWN = "province", "city", "county", "town"
_LEVEL_RANK = {PROVINCE: 0, CITY: 1, COUNTY: 2, TOWN: 3}

#: Full names that are ordinary words too; they count only with context, like short names.
#: Generic zone names (高新区, 经开区, 工业园区) are the full names of some town-level units and the
#: short names of county-level zones: as weak names, the deployment city's zone of that kind is
#: found (济南: 高新区 → 济南高新技术产业开发区) instead of a same-named town elsewhere hiding it.
_WEAK_FULL_NAMES = frozenset(
    {
        "城区",
        "郊区",
        "矿区",
        "新区",
        "东区",
        "西区",
        "南区",
        "北区",
        "市辖区",
        "开发区",
        "高新区",
        "经开区",
        "经济开发区",
        "经济技术开发区",
        "高新技术开发区",
        "高新技术产业开发区",
        "工业园区",
        "县经济开发区",
        "旅游度假区",
        "保税区",
    }
)
#: Short names that are never taken on their own.
_BAD_SHORTS = frozenset(
    {
        "城区",
        "郊区",
        "矿区",
        "新区",
        "开发区",
        # ordinary words: "the old town" (古城里), "the old quarter"
        "古城",
        "老城",
        "古镇",
        "市中",
        "城中",
        "城关",
        "城东",
        "城西",
        "城南",
        "城北",
        "东区",
        "西区",
        "南区",
        "北区",
        "中区",
        "和平",
        "新华",
        "平安",
        "长安",
        "永安",
        "太平",
        "新城",
        "开发",
        "高新",
        "经开",
        "工业",
        "白云",
        "东方",
        "南山",
        "北山",
        "青山",
        "宝山",
        "清河",
        "河东",
        "河西",
        "江南",
        "江北",
        "铁东",
        "铁西",
        "向阳",
        "红旗",
        "胜利",
        "前进",
        "友谊",
        "东风",
        "人民",
        "中山",
        "朝阳",
        "新市",
        "市辖",
        "海南",
        "海东",
        "海西",
        "河南",
        "河北",
        "山东",
        "山西",
        "湖南",
        "湖北",
        "广东",
        "广西",
        "江东",
        "普陀",
        "黄山",
        "金山",
        "西湖",
        "龙山",
        "大同",
        "吉林",
        "承德",
        "阳泉",
        "通化",
        "七台",
        # everyday words for places people describe (饮马大桥桥脚, 河边那块坝子): not the towns
        # 大桥镇, 坝子乡 … unless written in full
        "大桥",
        "坝子",
        "新桥",
        "石桥",
        "高桥",
        "河边",
        "桥头",
        "大坝",
        "新村",
        "码头",
        "渡口",
        "河坝",
        "沙坝",
        "老街",
        "新街",
        "花园",
        "中心",
    }
)
#: Town-level units named only by what kind of zone they are (化工园区, 物流园区, 县经济开发区):
#: the words name zones all over the country, so they count only when the county is named too.
_GENERIC_ZONE_RE = re.compile(
    r"^(?:化工|化学工业|工业|产业|物流|科技|经济|经济技术|高新|高新技术|高新技术产业|农业|生态|旅游|"
    r"循环经济|现代农业|临港|保税|出口加工|综合保税|商贸|新兴产业|生态工业|工业集中|现代服务业|"
    r"农业科技|农业高新技术|国家级|省级|县|市)*(?:园区|开发区|工业园|工业区|集中区|示范区|新区|"
    r"度假区|保税区|管理区|园|经济区|试验区)$"
)
_TOWN_SUFFIX_RE = re.compile(r"(街道办事处|街道|镇|乡|苏木|地区办事处|办事处|农场|林场)$")
#: Town-level units named like an administrative area (松山湖 and 青秀山 are not: see below).
_ADMIN_LIKE_RE = re.compile(
    r"(街道办事处|街道|镇|乡|苏木|办事处|农场|林场|牧场|区|园|场|所|委会|社区|中心|城|新城|片区|组团)$"
)
#: Town-level units whose name is a landmark (a lake, a mountain, a reservoir, a prison, a
#: company): in a complaint such a name is where something is, not the office it is routed to.
_LANDMARK_RE = re.compile(r"([山河江湖海岭峰溪湾港]|水库|监狱|林业局|公司|矿|苗圃|基地|管理局)$")


@dataclass(frozen=True)
class Unit:
    code: str
    level: str
    name: str
    short: str
    parent: str  # code of the unit above ("" for provinces)


@dataclass(frozen=True)
class Entry:
    """One way of writing a unit's name: full (涪城区), short (涪城) or an alias (射洪县)."""

    code: str
    strong: bool  # a full or alias name, safe to take without context
    #: 「城厢办事处」: 办事处 also names 乡/镇 offices, farms and companies' branch offices, so
    #: this spelling of a 街道 counts only when the text names its county too.
    needs_county: bool = False


@dataclass
class Gazetteer:
    units: dict[str, Unit] = field(default_factory=dict)
    names: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    lengths: tuple[int, ...] = ()
    first_chars: frozenset[str] = frozenset()
    #: First character → lengths of the names starting with it, longest first (fast scanning).
    lengths_by_first: dict[str, tuple[int, ...]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    # -- hierarchy ------------------------------------------------------------------------
    def unit(self, code: str) -> Unit:
        return self.units[code]

    def ancestor(self, code: str, level: str) -> Unit | None:
        """The unit at `level` above (or equal to) `code`, if any."""
        unit: Unit | None = self.units.get(code)
        while unit is not None:
            if unit.level == level:
                return unit
            unit = self.units.get(unit.parent) if unit.parent else None
        return None

    def city_code(self, code: str) -> str | None:
        """The city a unit counts under: its 地级市, a municipality (上海市), or a county-level city
        directly under its province (天门市) acting as its own city."""
        unit = self.units.get(code)
        if unit is None:
            return None
        if unit.level == PROVINCE:
            return code if unit.name.endswith("市") else None
        if unit.level == CITY:
            return code
        if unit.level == TOWN:
            return self.city_code(unit.parent)
        parent = self.units.get(unit.parent)
        if parent is None:
            return None
        if parent.level == CITY:
            return parent.code
        if parent.name.endswith("市"):  # municipality: 上海市 > 嘉定区
            return parent.code
        return code  # 湖北省 > 天门市

    def province_code(self, code: str) -> str | None:
        unit = self.ancestor(code, PROVINCE)
        return unit.code if unit else None

    def acts_as_city(self, code: str) -> bool:
        """A unit whose towns are its districts: 东莞市 (no counties) or 天门市 (under a province)."""
        unit = self.units.get(code)
        if unit is None:
            return False
        if unit.level == CITY:
            return not any(self.units[c].level == COUNTY for c in self.children.get(code, ()))
        return unit.level == COUNTY and self.city_code(code) == code

    def find_by_name(
        self, name: str, level: str | None = None, within: str | None = None
    ) -> list[str]:
        """Codes of units written `name` (any spelling), optionally at a level / under a unit."""
        out = []
        for e in self.names.get(name, ()):
            u = self.units[e.code]
            if level and u.level != level:
                continue
            if within and not self.is_under(e.code, within):
                continue
            if e.code not in out:
                out.append(e.code)
        return out

    def is_under(self, code: str, ancestor: str) -> bool:
        unit: Unit | None = self.units.get(code)
        while unit is not None:
            if unit.code == ancestor:
                return True
            unit = self.units.get(unit.parent) if unit.parent else None
        return False

    def full_path(self, code: str) -> str:
        parts: list[str] = []
        unit: Unit | None = self.units.get(code)
        while unit is not None:
            parts.insert(0, unit.name)
            unit = self.units.get(unit.parent) if unit.parent else None
        if len(parts) >= 2 and parts[0] == parts[1]:
            parts.pop(0)
        return "".join(parts)

    # -- loading --------------------------------------------------------------------------
    def _add_name(self, name: str, code: str, strong: bool, needs_county: bool = False) -> None:
        if len(name) < 2:
            return
        entries = self.names[name]
        for e in entries:
            if e.code == code:
                return
        entries.append(Entry(code, strong, needs_county))

    def _finish(self) -> None:
        self.lengths = tuple(sorted({len(n) for n in self.names}, reverse=True))
        self.first_chars = frozenset(n[0] for n in self.names)
        by_first: dict[str, set[int]] = defaultdict(set)
        for n in self.names:
            by_first[n[0]].add(len(n))
        self.lengths_by_first = {c: tuple(sorted(ls, reverse=True)) for c, ls in by_first.items()}


def _build() -> Gazetteer:
    gz = Gazetteer()
    aliases: list[dict[str, str]] = []
    for row in read_csv("divisions.csv") + read_csv("zones.csv"):
        if row["level"] == "alias":
            aliases.append(row)  # another name of an existing unit: 西海岸新区 → 黄岛区
            continue
        unit = Unit(row["code"], row["level"], row["name"], row["short"], row["parent"])
        gz.units[unit.code] = unit
        if unit.parent:
            gz.children[unit.parent].append(unit.code)
    current_names = {u.name for u in gz.units.values()}
    for unit in list(gz.units.values()):
        gz._add_name(unit.name, unit.code, unit.name not in _WEAK_FULL_NAMES)
        if unit.short and unit.short != unit.name and unit.short not in _BAD_SHORTS:
            gz._add_name(unit.short, unit.code, False)
        if unit.level == COUNTY:
            stem = re.sub(r"(自治县|自治旗|县|区|市|旗)$", "", unit.name)
            # 北川羌族自治县 is written 北川县; 射洪市 was 射洪县 until 2019.
            for alias in (unit.short + "县", stem + "县", stem + "市"):
                if len(alias) >= 3 and alias not in current_names:
                    gz._add_name(alias, unit.code, True)
    for row in aliases:
        if row["parent"] in gz.units:
            for alias in (row["name"], row["short"]):
                gz._add_name(alias, row["parent"], True)
    for row in read_csv("renames.csv"):
        if row["code"] in gz.units:
            gz._add_name(row["old_name"], row["code"], True)
    moves = {(r["name"], r["parent"]): r for r in read_csv("town_moves.csv")}
    for row in read_csv("towns.csv") + _moved_rows(moves):
        parent = row["parent"]
        if parent not in gz.units:
            continue
        name = row["name"]
        code = f"{parent}:{name}"
        gz.units[code] = Unit(code, TOWN, name, "", parent)
        gz.children[parent].append(code)
        admin = _ADMIN_LIKE_RE.search(name)
        if _LANDMARK_RE.search(name) and not admin:
            continue  # 松山湖, 青秀山, 五间房水库: the unit exists, its name is a landmark
        if admin and admin.start() == 0:
            continue  # a unit called just 社区 or 城区: no name to look for
        # 东城, 永安, 下西: a name without 镇/乡/街道 is an ordinary word too; it needs context.
        # 开发区, 工业园区, 化工园区 as the name of a town: a generic label that many counties use
        # (武进区's 高新区 is not what a 常州 resident means by 高新区): only with its county.
        generic = name in _WEAK_FULL_NAMES or bool(_GENERIC_ZONE_RE.match(name))
        gz._add_name(name, code, bool(admin) and not generic, needs_county=generic)
        short = row.get("short") or ""
        if short and short not in _BAD_SHORTS:
            gz._add_name(short, code, False)  # 麻涌 for 麻涌镇: needs the deployment city
        m = _TOWN_SUFFIX_RE.search(name)
        if m and m.group(1) == "街道":
            stem = name[: m.start()]
            gz._add_name(stem + "街道办事处", code, True)
            gz._add_name(stem + "街办", code, True)
            gz._add_name(stem + "办事处", code, True, needs_county=True)
    gz._finish()
    logger.info("gazetteer: %d units, %d names", len(gz.units), len(gz.names))
    return gz


def _moved_rows(moves: dict[tuple[str, str], dict[str, str]]) -> list[dict[str, str]]:
    """Extra town rows for boundary changes the source lacks (town_moves.csv): the town is
    listed under its new county too, so a bare mention becomes ambiguous (the bot asks) rather
    than routed by a stale boundary."""
    return [
        {"parent": r["new_parent"], "name": name, "short": r.get("short", "")}
        for (name, _old), r in moves.items()
    ]


_lock = threading.Lock()
_gazetteer: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first use (a fraction of a second)."""
    global _gazetteer
    if _gazetteer is None:
        with _lock:
            if _gazetteer is None:
                _gazetteer = _build()
    return _gazetteer


def level_rank(level: str) -> int:
    return _LEVEL_RANK[level]


def unit_place(gz: Gazetteer, code: str) -> tuple[Place, str | None]:
    """The Place of a gazetteer unit (a county-level unit or a town), and the county-level code
    it is filed under (None when it has no district)."""
    unit = gz.unit(code)
    prov = gz.ancestor(code, PROVINCE)
    city_code = gz.city_code(code)
    place = Place(
        province=prov.name if prov else None,
        city=gz.unit(city_code).name if city_code else None,
    )
    county = gz.ancestor(code, COUNTY)
    filed = county.code if county else None
    if unit.level == TOWN:
        place.town = unit.name
        parent = unit.parent
        if gz.acts_as_city(parent):
            place.district = unit.name  # 东莞市虎门镇, 天门市岳口镇: the town is the district
            filed = parent
        elif county:
            place.district = county.name
    elif county and not gz.acts_as_city(county.code):
        place.district = county.name
    if county and gz.acts_as_city(county.code):
        place.city = county.name
    return place, filed if place.district else None
