"""Duplicate detection and hot spots: same polluter, same address, nearby coordinates, window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.casework.duplicates import DupKey, distance_m, match, normalise_address, normalise_polluter
from bot.casework.models import utcnow
from bot.casework.store import CaseStore
from tests.factories import close, draft, quiet_work


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("绵阳市鑫达砖厂有限公司", "鑫达砖厂"),
        ("鑫达砖厂", "鑫达砖厂"),
        ("四川省绵阳市某某化工有限责任公司", "某某化工"),
        ("  ", ""),
        (None, ""),
    ],
)
def test_normalise_polluter(raw: str | None, normal: str) -> None:
    assert normalise_polluter(raw) == normal


@pytest.mark.parametrize(
    ("parts", "normal"),
    [
        (("涪城区", "青义镇", "商家村三组河边附近"), "涪城区青义镇商家村三组河边"),
        (("涪城区", "青义镇", "商家村 三组，河边"), "涪城区青义镇商家村三组河边"),
        (("", "", "四川省绵阳市涪城区临园路１２号"), "涪城区临园路12号"),
        (("", "", "附近"), ""),
    ],
)
def test_normalise_address(parts: tuple[str, ...], normal: str) -> None:
    assert normalise_address(*parts) == normal


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (DupKey("鑫达砖厂", "x1"), DupKey("鑫达砖厂", "y2"), "被举报对象相同"),
        (DupKey("", "涪城区临园路12号"), DupKey("", "涪城区临园路12号"), "地址相同"),
        (DupKey("", "a", 31.4600, 104.6800), DupKey("", "b", 31.4610, 104.6805), "位置相距约"),
        (DupKey("", "a", 31.46, 104.68), DupKey("", "b", 31.50, 104.68), None),  # ~4.4 km
        (DupKey("", ""), DupKey("", ""), None),  # nothing known: never "the same"
        (DupKey("甲厂", "a"), DupKey("乙厂", "b"), None),
    ],
)
def test_match(a: DupKey, b: DupKey, reason: str | None) -> None:
    found = match(a, b, max_distance_m=300)
    if reason is None:
        assert found is None
    else:
        assert found is not None and found[0].startswith(reason)
        assert 0 < found[1] <= 1


def test_distance() -> None:
    assert 110 < distance_m(31.46, 104.68, 31.461, 104.68) < 112


def test_filing_links_likely_duplicates(store: CaseStore) -> None:
    first, _ = store.file(draft(polluter="绵阳市鑫达砖厂有限公司", categories=["大气"]))
    other_cat, _ = store.file(draft(polluter="鑫达砖厂", categories=["噪声"]))
    second, _ = store.file(draft(polluter="鑫达砖厂", categories=["大气"], address="别处"))
    assert second.duplicate_count == 1
    assert store.get(first.ticket).duplicate_count == 1  # type: ignore[union-attr]
    assert store.get(other_cat.ticket).duplicate_count == 0  # type: ignore[union-attr]


def test_old_or_closed_issues_are_not_duplicates(store: CaseStore) -> None:
    store.file(draft(polluter="鑫达砖厂"), now=utcnow() - timedelta(days=60))
    closed, _ = store.file(draft(polluter="鑫达砖厂"), now=utcnow() - timedelta(days=2))
    close(quiet_work(store), closed.ticket)
    new, _ = store.file(draft(polluter="鑫达砖厂"))
    assert new.duplicate_count == 0


def test_hotspot_after_three_reports(store: CaseStore) -> None:
    a, _ = store.file(draft(address="临园路12号", polluter=None))
    b, _ = store.file(draft(address="临园路12号", polluter=None))
    assert not b.hotspot
    c, _ = store.file(draft(address="临园路12号附近", polluter=None))
    assert c.hotspot
    assert store.get(a.ticket).hotspot  # type: ignore[union-attr]
