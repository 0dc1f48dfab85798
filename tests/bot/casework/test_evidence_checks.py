"""Doubts about a photo (check_photo): taken more than 7 days before the report, more than 2 km
from the reported pin once both are in one datum, or after it reached us."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.casework.datums import distance_m, wgs84_to_gcj02
from bot.casework.evidence import check_photo, evidence_rules
from bot.casework.exif import PhotoFacts

REPORTED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
#: Where the photo was taken (WGS-84, as GPS writes it): a river bank near Mianyang.
TAKEN_WGS = (31.4678, 104.6791)


def facts(
    *, taken: datetime | None = None, position: tuple[float, float] | None = TAKEN_WGS
) -> PhotoFacts:
    lat, lon = position or (None, None)
    return PhotoFacts("read", taken, False, lat, lon)


def offset(
    point: tuple[float, float], towards: tuple[float, float], metres: float
) -> tuple[float, float]:
    """The point `metres` from `point` in the direction of `towards` (flat: fine at km scale)."""
    d = distance_m(point, towards)
    k = metres / d
    return point[0] + (towards[0] - point[0]) * k, point[1] + (towards[1] - point[1]) * k


def test_the_thresholds_are_the_data_files() -> None:
    rules = evidence_rules()
    assert (rules.max_age_days, rules.max_distance_km) == (7, 2)


@pytest.mark.parametrize(
    ("before", "flagged"),
    [(timedelta(days=6, hours=23), False), (timedelta(days=7, hours=1), True)],
)
def test_a_photo_older_than_seven_days_is_flagged(before: timedelta, flagged: bool) -> None:
    check = check_photo(
        facts(taken=REPORTED - before),
        reported_at=REPORTED,
        received_at=REPORTED,
        pin=None,
        channel="wechat",
    )
    assert check.age == before
    assert ("old" in check.flags) is flagged
    assert check.distance_m is None  # no pin, no distance


def test_a_photo_taken_after_it_arrived_means_a_wrong_clock() -> None:
    later = check_photo(
        facts(taken=REPORTED + timedelta(days=3)),
        reported_at=REPORTED,
        received_at=REPORTED,
        pin=None,
        channel="wechat",
    )
    assert later.flags == ("after_receipt",)
    minutes = check_photo(
        facts(taken=REPORTED + timedelta(hours=2)),
        reported_at=REPORTED,
        received_at=REPORTED,
        pin=None,
        channel="wechat",
    )
    assert minutes.flags == ()


def test_a_wechat_pin_is_compared_in_gcj02() -> None:
    """The pin where WeChat put the photo's own spot is 0 m away, not the datum's ~500 m."""
    pin = wgs84_to_gcj02(*TAKEN_WGS)
    assert distance_m(TAKEN_WGS, pin) > 300  # what a naive comparison would say
    check = check_photo(
        facts(), reported_at=REPORTED, received_at=REPORTED, pin=pin, channel="wechat"
    )
    assert check.distance_m is not None and check.distance_m < 1
    assert check.flags == ()


def test_the_datum_decides_the_two_km_flag() -> None:
    """A pin 1.8 km from the photo in GCJ-02 is over 2 km from its uncorrected WGS-84 position."""
    gcj = wgs84_to_gcj02(*TAKEN_WGS)
    pin = offset(gcj, (2 * gcj[0] - TAKEN_WGS[0], 2 * gcj[1] - TAKEN_WGS[1]), 1800)
    assert distance_m(TAKEN_WGS, pin) > 2000
    check = check_photo(
        facts(), reported_at=REPORTED, received_at=REPORTED, pin=pin, channel="wechat"
    )
    assert check.distance_m == pytest.approx(1800, abs=5)
    assert "far" not in check.flags


@pytest.mark.parametrize(("metres", "flagged"), [(1900, False), (2100, True), (15000, True)])
def test_a_photo_far_from_the_pin_is_flagged(metres: float, flagged: bool) -> None:
    gcj = wgs84_to_gcj02(*TAKEN_WGS)
    pin = offset(gcj, (gcj[0] + 0.1, gcj[1] + 0.05), metres)
    check = check_photo(
        facts(), reported_at=REPORTED, received_at=REPORTED, pin=pin, channel="wechat"
    )
    assert check.distance_m == pytest.approx(metres, rel=0.01)
    assert ("far" in check.flags) is flagged


def test_an_open311_pin_is_wgs84_and_compared_as_is() -> None:
    check = check_photo(
        facts(), reported_at=REPORTED, received_at=REPORTED, pin=TAKEN_WGS, channel="open311"
    )
    assert check.distance_m == pytest.approx(0, abs=0.01)
    converted = check_photo(
        facts(), reported_at=REPORTED, received_at=REPORTED, pin=TAKEN_WGS, channel="hotline"
    )
    assert converted.distance_m is not None and converted.distance_m > 300


def test_no_metadata_raises_no_doubt() -> None:
    check = check_photo(
        PhotoFacts("none"),
        reported_at=REPORTED,
        received_at=REPORTED,
        pin=TAKEN_WGS,
        channel="wechat",
    )
    assert (check.age, check.distance_m, check.flags) == (None, None, ())
