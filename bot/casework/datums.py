"""Map datums: GPS and EXIF positions are WGS-84, WeChat pins and Chinese maps GCJ-02 (火星坐标,
shifted 300–600 m in China). Which one an issue's pin is in depends on its channel
(bot/data/datums.yml); Open311 speaks WGS-84.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import coordTransform

from bot import datafiles
from bot.config import DATA_DIR

Datum = Literal["wgs84", "gcj02"]
EARTH_RADIUS_M = 6_371_008.8
Point = tuple[float, float]


@dataclass(frozen=True)
class DatumsFile:
    """bot/data/datums.yml: the datum of a pin, by channel."""

    pin_datums: dict[str, Datum]
    default_pin_datum: Datum


@lru_cache(maxsize=1)
def datums_file() -> DatumsFile:
    return datafiles.load(DATA_DIR / "datums.yml", DatumsFile)


def pin_datum(channel: str) -> Datum:
    """The datum of the pins of issues that came in by `channel`."""
    file = datums_file()
    return file.pin_datums.get(channel, file.default_pin_datum)


def wgs84_to_gcj02(latitude: float, longitude: float) -> Point:
    """The GCJ-02 coordinates of a WGS-84 point, by the published formula as coordTransform
    implements it; points outside China are kept."""
    lng, lat = coordTransform.wgs84_to_gcj02(longitude, latitude)
    return float(lat), float(lng)


def gcj02_to_wgs84(latitude: float, longitude: float) -> Point:
    """The WGS-84 point whose GCJ-02 coordinates these are.

    coordTransform's inverse is the one-step approximation (metres off); three fixed-point steps
    of the forward formula bring it under a centimetre, which is why this is written here.
    """
    lat, lon = latitude, longitude
    for _ in range(3):
        shifted = wgs84_to_gcj02(lat, lon)
        lat, lon = lat + latitude - shifted[0], lon + longitude - shifted[1]
    return lat, lon


def to_datum(point: Point, source: Datum, target: Datum) -> Point:
    if source == target:
        return point
    return wgs84_to_gcj02(*point) if target == "gcj02" else gcj02_to_wgs84(*point)


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two (lat, lon) points of one datum.

    The haversine formula by hand: a geodesic library (pyproj and its PROJ data) is a heavy
    dependency for a 2 km threshold, where the sphere's < 0.5 % error does not matter.
    """
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
