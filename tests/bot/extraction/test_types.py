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


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # A consequence is no noise cue unless a noise word is near.
        ("冒浓烟，呛得人睡不着", {"大气"}),
        ("晚上机器响得睡不着", {"噪声"}),
        ("晚上十一点了还在施工，影响居民休息", {"噪声"}),
        # 扰民 belongs to the phenomenon before it.
        ("楼下烧烤店油烟味扰民", {"大气"}),
        ("养鸡场臭味扰民", {"大气"}),
        ("搅拌站天天夜里干活扰民", {"噪声"}),
        # Waste words: a facility or a passing mention is no waste complaint by itself.
        ("小区垃圾房污水横流，臭气熏天", {"水", "大气"}),
        ("路边垃圾堆成山没人清运", {"固废"}),
        ("村口那个垃圾站味道难闻", {"大气"}),
        ("往河沟里倾倒污水", {"水"}),
        ("有人在山脚倾倒建筑废渣", {"固废"}),
        ("村里有人焚烧工业垃圾", {"大气"}),
        # Places affected are context: the pollution is what counts.
        ("工厂离农田不到50米，天天排黑烟", {"大气"}),
        ("砖厂占用了好几亩耕地", {"土壤"}),
        ("养鸭场的粪水直接排进水库", {"水"}),
        # A facility alone still says something when nothing else is said.
        ("楼顶装了个基站", {"辐射"}),
        ("基站的散热风扇噪音大", {"噪声"}),
        ("排污染物", set()),
        # The smell of polluted water is a water complaint (as 黑臭水体 is).
        ("河里的水又黑又臭", {"水"}),
    ],
)
def test_context_words_count_only_when_nothing_more_specific_is_said(
    text: str, categories: set[str]
) -> None:
    assert set(extract(text).categories) == categories


def test_not_noise_but_smell() -> None:
    ex = extract("不是噪音的问题，是化工厂的臭味")
    assert set(ex.categories) == {"大气"}
    assert "噪音" in ex.negated


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # a phrase that is the phenomenon beats the context word inside it, however far its verb
        ("村东两家厂占用200多亩永久耕地，尾矿堆在河边", {"土壤", "固废"}),
        ("搅拌站侵占了一百多亩基本农田，车辆来往扬尘大", {"土壤", "大气"}),
        # garbage being handled is an activity (here a noisy one); garbage left lying is waste
        ("饭店每天凌晨处理垃圾，玻璃瓶哗啦响，吵得睡不着", {"噪声"}),
        ("夜里清运垃圾的车声音很吵，喇叭也响", {"噪声"}),
        ("小区垃圾长期没人清理，臭气熏天", {"固废", "大气"}),
        ("垃圾清运不及时，路边臭味很重", {"固废", "大气"}),
        # filling in a river, a pond or a lake destroys it
        ("养殖场填埋河道扩建猪圈", {"生态"}),
        ("有人回填池塘盖房子", {"生态"}),
    ],
)
def test_phrases_and_activities(text: str, categories: set[str]) -> None:
    assert set(extract(text).categories) == categories
