"""Villages and communities (村/社区) tell the county when the text names no county or town.
Sentences written by the team; village names from the official village-level list."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract, villages
from bot.nlp.extraction.build_villages import village_name
from bot.nlp.extraction.gazetteer import gazetteer

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


ZHENGZHOU = {"province": "河南省", "city": "郑州市"}


@pytest.mark.parametrize(
    ("text", "context", "district"),
    [
        # 开元路社区 lies in 游仙区, so 开元路 does too
        ("开元路那边的工地半夜还在打桩", MY, "游仙区"),
        # 安昌 is also a town of 北川: a city road named after it is not in it
        ("安昌路有家餐馆油烟直排，熏得人头疼", MY, "涪城区"),
        ("黄河路上有家KTV天天闹到两点", ZHENGZHOU, None),  # 黄河路社区: everywhere in China
        ("农业路一家川菜馆油烟大", ZHENGZHOU, None),  # its 农业路社区 is in 新密市, a county seat
        ("商业街的烧烤店油烟太大", ZHENGZHOU, None),  # a street described, not named
        ("我们这条路上渣土车天天掉泥", MY, None),
        # 临园路东段/中段/西段社区 all lie in 涪城区; 剑南路 has communities in two districts
        ("临园路有个工地晚上还在打桩", MY, "涪城区"),
        ("剑南路有家火锅店油烟直排", MY, None),
        # 五马街道 (鹿城区) is named after 五马街, which jieba cuts 五|马街
        (
            "五马街有家手机店天天用喇叭放打折广告",
            {"province": "浙江省", "city": "温州市"},
            "鹿城区",
        ),
    ],
)
def test_a_road_a_community_is_named_after_tells_the_district(
    text: str, context: dict[str, str], district: str | None
) -> None:
    place = extract(text, **context).place
    assert (place.district if place else None) == district


def test_a_street_office_is_no_street() -> None:
    """五马街道 is the street office named after 五马街: the office is a town, found as such."""
    wenzhou = gazetteer().find_by_name("温州市")[0]
    road = villages.find_roads("五马街有家手机店天天放喇叭", gazetteer(), wenzhou, lambda _s: {0})
    assert [(h.name, h.county) for h in road] == [("五马街", "330302")]
    assert villages.find_roads("五马街道有家手机店", gazetteer(), wenzhou, lambda _s: {0}) == []


def test_roads_of_two_districts_are_asked_about() -> None:
    place = extract("安昌路和开元路的两个工地都在夜间施工", **MY).place
    assert place is not None
    assert place.district is None
    assert place.candidates == ["四川省绵阳市涪城区安昌路", "四川省绵阳市游仙区开元路"]


def test_a_named_county_keeps_the_town_a_road_is_named_after() -> None:
    place = extract("北川县安昌路有人烧垃圾", **MY).place
    assert place is not None
    assert (place.district, place.town, place.address) == ("北川羌族自治县", "安昌镇", "安昌路")


def test_a_village_beats_a_road() -> None:
    place = extract("龙溪村旁边开元路的养鸡场臭得很", **MY).place
    assert place is not None
    assert (place.district, place.town) == ("涪城区", "青义镇")


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
