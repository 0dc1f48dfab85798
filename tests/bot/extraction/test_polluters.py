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


def test_company_name_keeps_its_place_prefix() -> None:
    ex = extract("江油市宏远建材有限公司晚上偷排废水", province="四川省", city="绵阳市")
    assert ex.polluter is not None and ex.polluter.endswith("宏远建材有限公司")
