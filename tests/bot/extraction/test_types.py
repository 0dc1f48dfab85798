"""Pollution types from the lexicon, with sub-types and negation."""

from __future__ import annotations

import pytest

from bot.extraction import extract


@pytest.mark.parametrize(
    ("text", "categories", "fine"),
    [
        ("工厂烟囱天天冒黑烟", {"大气"}, {"大气"}),
        ("楼下烧烤店油烟太大", {"大气"}, {"油烟"}),
        ("工地尘土飞扬，渣土车也不覆盖", {"大气"}, {"扬尘"}),
        ("有人往河里偷排污水，河水发黑", {"水"}, {"水"}),
        ("半夜施工，机器轰鸣睡不着", {"噪声"}, {"噪声"}),
        ("有人在山上毁林，还在河里采砂", {"生态"}, {"生态"}),
        ("小区旁边新建了基站，担心辐射", {"辐射"}, {"辐射"}),
        ("村口倾倒了大量建筑垃圾", {"固废"}, {"固废"}),
        ("养猪场粪水直排，臭味熏人", {"水", "大气"}, {"水", "大气"}),
        ("近海有人倾倒废料，海水都变色了", {"海洋", "固废"}, {"海洋", "固废"}),
    ],
)
def test_categories(text: str, categories: set[str], fine: set[str]) -> None:
    ex = extract(text)
    assert set(ex.categories) == categories
    assert set(ex.pollution_types) == fine


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("不是噪音是臭味", {"大气"}, {"噪声"}),
        ("现在没有异味了，但是噪声扰民", {"噪声"}, {"大气"}),
        ("并无扬尘，主要是污水", {"水"}, {"大气"}),
        ("这家厂无环评，废气乱排", {"大气", "其他"}, set()),
    ],
)
def test_negation(text: str, present: set[str], absent: set[str]) -> None:
    cats = set(extract(text).categories)
    assert present <= cats
    assert not (absent & cats)


def test_negated_words_are_listed() -> None:
    ex = extract("没有异味，就是吵")
    assert "异味" in ex.negated
    assert "异味" not in ex.phenomena
