"""Polluter names: companies and sites, never generic words alone."""

from __future__ import annotations

import pytest

from bot.extraction import extract


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        ("举报宏达化工有限公司夜里偷排废气", "宏达化工有限公司"),
        ("我家附近的青山砖厂烟很大", "青山砖厂"),
        ("王家湾养猪场臭得不行", "王家湾养猪场"),
        ("翠苑小区旁边的金辉工地天天夜间施工", "金辉工地"),
        ("楼下的老张烧烤店油烟扰民", "老张烧烤店"),
        ("锦江大酒店的空调外机噪音大", "锦江大酒店"),
    ],
)
def test_named_polluters(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    "text", ["附近有个工厂一直冒烟", "旁边的养殖场很臭", "那家公司晚上很吵", "工地扬尘严重"]
)
def test_generic_words_are_not_polluters(text: str) -> None:
    assert extract(text).polluter is None


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # a shop's name in quotes carries no suffix
        ("楼下那家“老灶台串串”油烟特别大", "老灶台串串"),
        ("小区门口新开的「好再来」天天放音乐到半夜", "好再来"),
        ("店名叫“川味小馆”，后厨排烟管对着我家窗户", "川味小馆"),
        # the quoted name stands for the generic word after it
        ("街口一家叫“渝味轩”的火锅店把潲水倒进雨水井", "渝味轩"),
    ],
)
def test_quoted_shop_names(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    "text",
    [
        "物业回复说“已经整改”，可是烟还是很大",  # speech, not a name
        "喇叭一整天循环喊“全场五折”，吵死了",  # a slogan
        "厦门市集美区的工地半夜还在施工",  # 厦门市 ends like 门市 (a shop front): a city
    ],
)
def test_quotes_and_place_names_that_are_no_polluter(text: str) -> None:
    assert extract(text).polluter is None


def test_company_name_keeps_its_place_prefix() -> None:
    ex = extract("江油市宏远建材有限公司晚上偷排废水", province="四川省", city="绵阳市")
    assert ex.polluter is not None and ex.polluter.endswith("宏远建材有限公司")


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # Address and direction words swallowed before the name are cut off.
        ("石马村3组金星砖厂天天冒烟", "金星砖厂"),
        ("解放路北侧宏发石材厂粉尘大", "宏发石材厂"),
        ("公路南侧两公里的造纸厂排污水", "造纸厂"),
        # Names that touch are one name, with an alias in brackets.
        ("涪江集团水泥公司(老水泥厂)夜里冒黑烟", "涪江集团水泥公司(老水泥厂)"),
        # Several of a kind are no one polluter; the named one is.
        ("附近三家石材厂都有粉尘，其中兴旺石材厂最严重", "兴旺石材厂"),
        # A company said to be unrelated is dropped.
        ("这股味跟金鹰纸业公司无关，是兴达化工有限公司排的", "兴达化工有限公司"),
        # A company name that continues into a park name is the park.
        ("兴业建材工业园里的佳美化工晚上冒黄烟", "佳美化工"),
        # A described facility counts when nothing is named ...
        ("翠湖小区二次供水泵房嗡嗡响", "翠湖小区二次供水泵房"),
        # ... and loses to a named site.
        ("锦江大酒店的空调外机噪音大", "锦江大酒店"),
    ],
)
def test_polluter_names_in_context(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    "text",
    [
        "村里有人违规建厂，天天冒烟",  # 建厂 is a verb phrase
        "附近有好几家砖厂，烟很大",  # several, none named
        "河边有一养殖场天天很臭",  # an indefinite generic site
    ],
)
def test_no_polluter(text: str) -> None:
    assert extract(text).polluter is None
