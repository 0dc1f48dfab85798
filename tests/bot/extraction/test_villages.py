"""Villages and communities (村/社区) tell the county when the text names no county or town.
Sentences written by the team; village names from the official village-level list."""

from __future__ import annotations

import pytest

from bot.extraction import extract
from bot.extraction.build_villages import village_name

MY = {"province": "四川省", "city": "绵阳市"}
BAODING = {"province": "河北省", "city": "保定市"}


@pytest.mark.parametrize(
    ("text", "context", "district", "town"),
    [
        ("龙溪村旁边的养鸡场臭得很", MY, "涪城区", "青义镇"),
        ("在龙溪村口有个小作坊天天冒烟", MY, "涪城区", "青义镇"),
        ("我们龙溪村的河水发黑", MY, "涪城区", "青义镇"),
        # the longest known name wins: 下龙溪村 is another village than 龙溪村
        ("下龙溪村有人往河里倒垃圾", MY, "涪城区", None),
        ("青漪社区楼下烧烤店油烟太大", MY, "涪城区", "青义镇"),
        ("东金庄村有人焚烧垃圾", BAODING, "莲池区", "东金庄乡"),
        # the city named in the text is the context, not the deployment city
        ("保定市东金庄村有人焚烧垃圾", MY, "莲池区", "东金庄乡"),
    ],
)
def test_village_tells_the_county(
    text: str, context: dict[str, str], district: str, town: str | None
) -> None:
    place = extract(text, **context).place
    assert place is not None
    assert place.district == district
    assert place.town == town
    assert place.address is not None and place.address.startswith(place.mention or "?")


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("红旗村有个砖厂冒黑烟", MY),  # several 红旗村 in 绵阳: ask, don't guess
        ("蔡龙溪村有人半夜施工", MY),  # 龙溪村 inside an unknown longer name
        ("新农村建设工地噪音大", MY),  # an ordinary word
        ("本村的养猪场臭气熏天", MY),
        ("第二社区门口的垃圾没人清运", MY),  # a number, not a name
        ("东五尧村有人烧秸秆", BAODING),  # its town changed county since the list
        ("东金庄村有人焚烧垃圾", MY),  # a village of another city, no city named
    ],
)
def test_no_district_from_doubtful_villages(text: str, context: dict[str, str]) -> None:
    place = extract(text, **context).place
    assert place is None or place.district is None


def test_villages_of_two_counties_are_asked_about() -> None:
    place = extract("东塔村和龙溪村都有人烧秸秆", **MY).place
    assert place is not None
    assert place.district is None
    assert place.candidates == ["四川省绵阳市三台县东塔镇东塔村", "四川省绵阳市涪城区青义镇龙溪村"]


def test_a_named_county_beats_the_village_list() -> None:
    place = extract("游仙区龙溪村有噪音", **MY).place
    assert place is not None
    assert place.district == "游仙区"


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("龙溪村民委员会", "龙溪村"),
        ("齐家村委会", "齐家村"),
        ("团结村村委会", "团结村"),
        ("青漪社区居民委员会", "青漪社区"),
        ("东方苑社区居委会", "东方苑社区"),
        ("巴彦嘎查村民委员会", "巴彦嘎查"),
        ("城关居委会", None),  # no 社区 in the name: not how it is written in a complaint
        ("本村村民委员会", None),
        ("第一社区居民委员会", None),
        ("李村村委会", None),  # one-character stem: too easily part of a longer name
        ("开发区（筹）社区居委会", None),
    ],
)
def test_village_names_from_committee_names(raw: str, name: str | None) -> None:
    assert village_name(raw) == name
