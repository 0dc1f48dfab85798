"""Pollution types from the lexicon, with sub-types and negation."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract


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
        # a missing permit is 其他 alone; beside a pollution, the pollution is the complaint
        ("这家厂无环评，废气乱排", {"大气"}, {"其他"}),
        ("这个厂没有环评就开工了", {"其他"}, set()),
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
        ("镇北那家砖厂占用了80多亩基本农田，废渣堆在路边", {"土壤", "固废"}),
        ("搅拌站侵占了一百多亩基本农田，车辆来往扬尘大", {"土壤", "大气"}),
        # garbage being handled is an activity (here a noisy one); garbage left lying is waste
        ("夜市收摊后清理垃圾，铁架子拖得哐哐响，吵得睡不着", {"噪声"}),
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


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # the smell of polluted water is part of the water complaint
        ("有人往村后的小河里倒污水，附近臭得不行", {"水"}),
        ("拧开龙头，流出来的水呈黄色，还有股怪味", {"水"}),
        ("纸厂的废水直排进沟里，沟边臭烘烘的", {"水"}),
        # ... unless the sentence names another source of smell
        ("养牛场的粪水直排进沟里，臭气熏天", {"水", "大气"}),
        ("垃圾站旁边污水横流，臭味扰民", {"水", "大气"}),
        ("河边的厂冒黑烟，排污水，到处都是臭味", {"水", "大气"}),
        ("化工厂往河里排污水，味道难闻", {"水", "大气"}),
        # a smell in another sentence stays a smell
        ("工厂往河里排污水。晚上厂区一股恶臭", {"水", "大气"}),
        # manure water stinks of the farm; a smell said to reach homes and noses is in the air
        ("场子的粪水顺着沟往下淌，臭得很", {"水", "大气"}),
        ("洗砂场的浑水排进溪沟，一股腥臭味，隔两条街都闻得到", {"水", "大气"}),
        ("沟里全是黑水，那个臭哦，我们窗户都不敢开", {"水", "大气"}),
    ],
)
def test_smell_of_polluted_water(text: str, categories: set[str]) -> None:
    assert set(extract(text).categories) == categories


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # places affected (农田, 河道) are the setting of whatever else the complaint reports
        ("我们村边有一大片农田。最近新开的砖厂天天冒黑烟", {"大气"}),
        ("小区旁边有一条河道。每天夜里工地都在打桩", {"噪声"}),
        ("村口那片农田被人占了盖厂房", {"土壤"}),
        ("厂边上就是农田", {"土壤"}),
        # facilities and consequences keep the sentence rule
        ("楼顶装了个基站。楼下的空调外机嗡嗡响", {"辐射", "噪声"}),
        # treatment facilities named as what to inspect report nothing; overflowing they do
        ("厂里天天冒黑烟。希望执法人员去看看他们的废水池", {"大气"}),
        ("厂里的污水池满了往外溢", {"水"}),
        # 土壤 is the medium: it counts when said to be polluted
        ("有人把山上的土壤拉走卖，山体被挖得坑坑洼洼", {"生态"}),
        ("工厂旁边的土壤重金属超标", {"土壤"}),
    ],
)
def test_places_and_facilities_are_context(text: str, categories: set[str]) -> None:
    assert set(extract(text).categories) == categories


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # wells or rivers running dry: the water supply and the water system
        ("修隧道以后，村里好几口水井都干枯了", {"水", "生态"}),
        ("电站把水全引走了，下游河道断流好几个月", {"生态"}),
        # tailings discharged into a river pollute the water; dumped they are waste
        ("选矿厂把尾矿直接排入河里", {"水"}),
        ("有人在路边倾倒尾矿", {"固废"}),
        # gutter oil is its own complaint
        ("有人在出租屋里熬制地沟油，废水乱排", {"其他", "水"}),
        # vocabulary
        ("晚上有人在水库里电鱼", {"生态"}),
        ("有人半夜在河滩上挖沙", {"生态"}),
        ("厂区后面挖了个渗坑", {"水"}),
        ("屋里总能闻到一股烧焦味", {"大气"}),
        ("夜市叫卖声嘈杂", {"噪声"}),
        ("修路的弃渣倒在山沟边", {"固废"}),
    ],
)
def test_more_phenomena(text: str, categories: set[str]) -> None:
    assert set(extract(text).categories) == categories


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("沟边堆了一大堆建筑垃极", {"固废"}),
        ("有人往菜地里倒那种黑乎乎的废水", {"土壤", "水"}),
        ("厂里的污泥拉来泼在我家承包地上", {"土壤"}),
        ("那块地现在种啥死啥", {"土壤"}),
        ("老板把两亩水田填了盖库房", {"生态"}),
        ("后山又有人烧荒", {"生态"}),
        ("开拖拉机的天天从门口过", set()),  # 拖拉机 is no 垃圾
    ],
)
def test_land_harmed_and_waste_as_people_spell_it(text: str, categories: set[str]) -> None:
    assert set(extract(text).categories) == categories
