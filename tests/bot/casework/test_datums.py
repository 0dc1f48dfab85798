"""Map datums: the WGS-84 → GCJ-02 shift against published reference points, its inverse, the
pin datum of each channel, and great-circle distances."""

from __future__ import annotations

import pytest

from bot.casework.datums import distance_m, gcj02_to_wgs84, pin_datum, to_datum, wgs84_to_gcj02


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        # Published test vectors of the formula (eviltransform's Shanghai, Shenzhen, Beijing;
        # gcoord's 123°E 45°N).
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
        ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
        ((45.0, 123.0), (45.00197815, 123.00607541)),
    ],
)
def test_wgs84_to_gcj02_matches_reference_points(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    lat, lon = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-6)
    assert lon == pytest.approx(gcj[1], abs=1e-6)
    assert distance_m((lat, lon), gcj) < 0.2


def test_the_shift_in_mianyang_is_hundreds_of_metres_and_none_abroad() -> None:
    here = (31.4678, 104.6791)
    assert 300 < distance_m(here, wgs84_to_gcj02(*here)) < 700
    paris = (48.8566, 2.3522)
    assert wgs84_to_gcj02(*paris) == paris


@pytest.mark.parametrize(
    ("a", "b", "metres", "tolerance"),
    [
        ((31.0, 104.0), (32.0, 104.0), 111_195, 10),  # one degree of latitude
        ((39.9042, 116.4074), (31.2304, 121.4737), 1_067_000, 5_000),  # Beijing – Shanghai
        ((31.4678, 104.6791), (31.4678, 104.6791), 0, 0.001),
    ],
)
def test_distance(
    a: tuple[float, float], b: tuple[float, float], metres: float, tolerance: float
) -> None:
    assert distance_m(a, b) == pytest.approx(metres, abs=tolerance)


@pytest.mark.parametrize(
    "wgs",
    [
        (31.1774276, 121.5272106),
        (22.543847, 113.912316),
        (39.911954, 116.377817),
        (31.4678, 104.6791),
    ],
)
def test_gcj02_back_to_wgs84_is_within_a_centimetre(wgs: tuple[float, float]) -> None:
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*wgs))
    assert distance_m(back, wgs) < 0.01


def test_to_datum_and_pin_datums() -> None:
    here = (31.4678, 104.6791)
    assert to_datum(here, "wgs84", "wgs84") == here
    assert to_datum(here, "wgs84", "gcj02") == wgs84_to_gcj02(*here)
    assert distance_m(to_datum(wgs84_to_gcj02(*here), "gcj02", "wgs84"), here) < 0.01
    assert pin_datum("wechat") == "gcj02"
    assert pin_datum("open311") == "wgs84"
    assert pin_datum("hotline") == "gcj02"  # the default: Chinese maps
