"""The deployment city on one SVG: districts shaded by issue count, pins and hot spots as points.

Drawn on the server from the boundary data (bot.geo), so it prints and needs no tile server.
The districts are simplified once per process with shapely.coverage_simplify (shared borders
stay shared: no slivers or overlaps between neighbours) and turned into SVG path data, cached;
a request only picks the fills and places the points. The counts are also given as a table
(the map's text alternative), and the SVG has a <title>, a <desc> and a legend.

Coordinates are projected equirectangularly with the longitude scaled by cos(latitude) at the
city's centre: at a city's size the difference from a conformal projection is under a pixel.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import shapely
from markupsafe import Markup, escape
from shapely.geometry.base import BaseGeometry

from bot import texts
from bot.casework.geography import MapFigures, MapPoint
from bot.exceptions import BoundariesUnavailable
from bot.geo import District, city_areas
from bot.geo.areas import BORDER_TOLERANCE_M
from bot.geo.boundaries import data_version

logger = logging.getLogger(__name__)

MAP_WIDTH = 440
LEGEND_WIDTH = 200
PAD = 12
#: Light to dark: more issues, darker green (ColorBrewer's 6-class Greens without its lightest,
#: which a district without issues would be mistaken for). Labels are near-black with a white
#: halo, readable on every class; points have a white ring, visible on every class.
FILLS = ("#c7e9c0", "#a1d99b", "#74c476", "#31a354", "#006d2c")
EMPTY_FILL = "#f7f7f7"
BORDER = "#56645a"
INK = "#1b1b1b"
PIN = "#1f4e9c"
HOTSPOT = "#c62828"
#: Simplification tolerance in pixels (roughly the side of the triangles that are dropped).
SIMPLIFY_PX = 1.2


@dataclass(frozen=True)
class _Shape:
    district: District
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class _Base:
    """The city drawn once: projection, district paths, label places."""

    width: int
    height: int
    min_lng: float
    max_lat: float
    kx: float
    ky: float
    shapes: tuple[_Shape, ...]
    #: The city outline widened by the border tolerance (prepared): which points are drawn.
    zone: BaseGeometry
    km_px: float

    def xy(self, lat: float, lng: float) -> tuple[float, float]:
        return PAD + (lng - self.min_lng) * self.kx, PAD + (self.max_lat - lat) * self.ky


@dataclass(frozen=True)
class MapRow:
    """One line of the table beside the map."""

    name: str
    issues: int
    hotspots: int


@dataclass(frozen=True)
class MapView:
    """What a page shows: the SVG (None without boundary data), the table and notes."""

    svg: Markup | None
    rows: tuple[MapRow, ...]
    notes: tuple[str, ...]
    title: str


def _path(geom: BaseGeometry, xy: Callable[[float, float], tuple[float, float]]) -> str:
    """SVG path data of a (multi)polygon, rings closed, holes as sub-paths (even-odd fill)."""
    parts: list[str] = []
    polygons = getattr(geom, "geoms", [geom])
    for poly in polygons:
        if poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            pts = [xy(y, x) for x, y in ring.coords[:-1]]
            if len(pts) < 3:
                continue
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
    return "".join(parts)


@cache
def _base(province: str, city: str) -> _Base:
    areas = city_areas(province, city)
    min_lng, min_lat, max_lng, max_lat = areas.outline.bounds
    mid = math.radians((min_lat + max_lat) / 2)
    span_x = (max_lng - min_lng) * math.cos(mid)
    span_y = max_lat - min_lat
    scale = (MAP_WIDTH - 2 * PAD) / span_x  # px per degree of latitude
    kx, ky = scale * math.cos(mid), scale
    height = round(span_y * scale + 2 * PAD)
    tolerance = SIMPLIFY_PX / scale
    simple = shapely.coverage_simplify([d.shape for d in areas.districts], tolerance)

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return PAD + (lng - min_lng) * kx, PAD + (max_lat - lat) * ky

    shapes = []
    for district, geom in zip(areas.districts, simple, strict=True):
        biggest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        label = biggest.representative_point()
        lx, ly = xy(label.y, label.x)
        shapes.append(_Shape(district, _path(geom, xy), lx, ly))
    zone = areas.outline.buffer(BORDER_TOLERANCE_M / 111_320.0)
    shapely.prepare(zone)
    return _Base(
        width=MAP_WIDTH,
        height=max(height, 260),
        min_lng=min_lng,
        max_lat=max_lat,
        kx=kx,
        ky=ky,
        shapes=tuple(shapes),
        zone=zone,
        km_px=scale / 111.32,
    )


def classes(top: int, n: int = len(FILLS)) -> list[tuple[int, int]]:
    """Up to `n` count ranges (low, high) of equal width covering 1..top."""
    if top <= 0:
        return []
    n = min(n, top)
    out: list[tuple[int, int]] = []
    low = 1
    for i in range(1, n + 1):
        high = math.ceil(top * i / n)
        if high >= low:
            out.append((low, high))
            low = high + 1
    return out


def _fills(ranges: Sequence[tuple[int, int]]) -> list[str]:
    """The palette spread over however many ranges there are (3 ranges: light, middle, dark)."""
    if len(ranges) <= 1:
        return [FILLS[2]] * len(ranges)
    last = len(FILLS) - 1
    return [FILLS[round(i * last / (len(ranges) - 1))] for i in range(len(ranges))]


def _fill(count: int, ranges: Sequence[tuple[int, int]], fills: Sequence[str]) -> str:
    for (low, high), fill in zip(ranges, fills, strict=True):
        if low <= count <= high:
            return fill
    return EMPTY_FILL


def _range_label(low: int, high: int, words: dict[str, str]) -> str:
    if low == high:
        return words["one"].format(n=low)
    return words["range"].format(low=low, high=high)


def city_map(figs: MapFigures, *, province: str, city: str, map_id: str = "city-map") -> MapView:
    """The map and its table for `figs` (the issues of one filter or one month)."""
    words: dict[str, str] = texts.table("staff", "console.map")
    title = words["title"].format(city=city)
    try:
        base = _base(province, city)
    except BoundariesUnavailable:
        logger.warning("no boundary data: the map is left out", exc_info=True)
        rows = tuple(
            MapRow(name or words["no_district"], n, figs.hotspots[name])
            for name, n in figs.by_district.most_common()
        )
        return MapView(None, rows, (words["unavailable"],), title)
    areas = city_areas(province, city)
    counts: dict[str, int] = {}
    hot: dict[str, int] = {}
    others: list[MapRow] = []
    for name, n in figs.by_district.items():
        district = areas.named(name) if name else None
        if district is None:
            label = words["other_district"].format(name=name) if name else words["no_district"]
            others.append(MapRow(label, n, figs.hotspots[name]))
            continue
        counts[district.code] = counts.get(district.code, 0) + n
        hot[district.code] = hot.get(district.code, 0) + figs.hotspots[name]
    listed = sorted(
        (
            MapRow(s.district.name, counts.get(s.district.code, 0), hot.get(s.district.code, 0))
            for s in base.shapes
        ),
        key=lambda r: -r.issues,
    )
    ranges = classes(max(counts.values(), default=0))
    fills = _fills(ranges)

    drawn = shapely.contains_xy(
        base.zone, [p.longitude for p in figs.points], [p.latitude for p in figs.points]
    )
    inside = [p for p, keep in zip(figs.points, drawn, strict=True) if keep]
    outside = len(figs.points) - len(inside)
    pins = sum(1 for p in inside if not p.hotspot)
    hotspots = len(inside) - pins
    svg = _svg(
        base, words, title, map_id, figs, counts, ranges, fills, inside, pins, hotspots, city
    )
    notes = [words["source"].format(version=data_version())]
    if figs.more_points:
        notes.append(words["left_out"].format(max=len(figs.points)))
    if outside:
        notes.append(words["outside"].format(n=outside, city=city))
    return MapView(svg, tuple(listed + others), tuple(notes), title)


def _svg(
    base: _Base,
    words: dict[str, str],
    title: str,
    map_id: str,
    figs: MapFigures,
    counts: dict[str, int],
    ranges: Sequence[tuple[int, int]],
    fills: Sequence[str],
    points: Sequence[MapPoint],
    pins: int,
    hotspots: int,
    city: str,
) -> Markup:
    width, height = base.width + LEGEND_WIDTH, max(base.height, 60 + 24 * (len(ranges) + 4))
    desc = words["desc"].format(city=city, total=figs.total, pins=pins + hotspots)
    out = [
        f'<svg class="city-map" role="img" aria-labelledby="{map_id}-title {map_id}-desc"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
        f'<title id="{map_id}-title">{escape(title)}</title>',
        f'<desc id="{map_id}-desc">{escape(desc)}</desc>',
        f'<g stroke="{BORDER}" stroke-width="0.8" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    for s in base.shapes:
        n = counts.get(s.district.code, 0)
        out.append(f'<path d="{s.path}" fill="{_fill(n, ranges, fills)}"/>')
    out.append("</g>")
    plain = [p for p in points if not p.hotspot]
    hot = [p for p in points if p.hotspot]
    if plain:
        out.append(f'<g fill="{PIN}" stroke="#fff" stroke-width="0.8">')
        for p in plain:
            x, y = base.xy(p.latitude, p.longitude)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6"/>')
        out.append("</g>")
    if hot:
        out.append(f'<g fill="{HOTSPOT}" stroke="#fff" stroke-width="1.5">')
        for p in hot:
            x, y = base.xy(p.latitude, p.longitude)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5"/>')
        out.append("</g>")
    out.append(
        f'<g font-size="12" fill="{INK}" text-anchor="middle" stroke="#fff" stroke-width="3"'
        ' paint-order="stroke" stroke-linejoin="round">'
    )
    for s in base.shapes:
        n = counts.get(s.district.code, 0)
        out.append(
            f'<text x="{s.label_x:.1f}" y="{s.label_y:.1f}">{escape(s.district.short)}'
            f'<tspan x="{s.label_x:.1f}" dy="14">{n}</tspan></text>'
        )
    out.append("</g>")
    out.extend(_north_and_scale(base, words))
    out.extend(_legend(base, words, ranges, fills, pins, hotspots))
    out.append("</svg>")
    return Markup("".join(out))


def _north_and_scale(base: _Base, words: dict[str, str]) -> list[str]:
    km = next((k for k in (5, 10, 20, 50, 100) if k * base.km_px >= 60), 100)
    length = km * base.km_px
    x, y = PAD + 4, base.height - PAD - 4
    return [
        f'<g fill="{INK}" font-size="11">'
        f'<text x="{PAD + 10}" y="{PAD + 12}" text-anchor="middle">{escape(words["north"])}</text>'
        f'<path d="M{PAD + 10},{PAD + 16} l-5,12 h10 z"/>'
        f'<path d="M{x},{y} h{length:.1f}" stroke="{INK}" stroke-width="2"/>'
        f'<text x="{x}" y="{y - 5}">{km} km</text></g>'
    ]


def _legend(
    base: _Base,
    words: dict[str, str],
    ranges: Sequence[tuple[int, int]],
    fills: Sequence[str],
    pins: int,
    hotspots: int,
) -> list[str]:
    x = base.width + 16
    out = [f'<g font-size="12" fill="{INK}">']
    entries = [(EMPTY_FILL, words["none"])] + [
        (fill, _range_label(low, high, words))
        for (low, high), fill in zip(ranges, fills, strict=True)
    ]
    y = PAD + 4
    for fill, label in entries:
        out.append(
            f'<rect x="{x}" y="{y}" width="18" height="14" fill="{fill}" stroke="{BORDER}"'
            f' stroke-width="0.8"/><text x="{x + 26}" y="{y + 12}">{escape(label)}</text>'
        )
        y += 22
    y += 8
    out.append(
        f'<circle cx="{x + 9}" cy="{y + 7}" r="2.6" fill="{PIN}" stroke="#fff"/>'
        f'<text x="{x + 26}" y="{y + 12}">{escape(words["pins"])} {pins}</text>'
    )
    y += 22
    out.append(
        f'<circle cx="{x + 9}" cy="{y + 7}" r="5.5" fill="{HOTSPOT}" stroke="#fff"'
        f' stroke-width="1.5"/><text x="{x + 26}" y="{y + 12}">{escape(words["hotspots"])}'
        f" {hotspots}</text></g>"
    )
    return out
