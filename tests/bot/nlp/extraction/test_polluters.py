"""Polluter names: companies and sites, never generic words alone."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract


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


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # A name read off a sign is who is responsible, before the site it stands at.
        ("北边那个楼盘工地，围挡上写的是恒远建工", "恒远建工"),
        ("搅拌站门口牌子写着金石混凝土，天天半夜出车", "金石混凝土"),
        ("渣土车车身上喷的顺利运输 一路撒土", "顺利运输"),
        # A name introduced by 叫/名叫/名为/叫做 stands for the generic word next to it.
        ("巷子里一家叫恒茂轧钢的厂天天冒黑烟", "恒茂轧钢"),
        ("小区后门一家名叫老巷烧烤的店铺油烟很大", "老巷烧烤"),
        ("马路对面有个叫顺达汽修的修理厂天天喷漆", "顺达汽修"),
        ("隔壁一家名为金鼎五金的作坊噪音大", "金鼎五金"),
        # after a polluter word, the name runs to the clause end
        ("山脚有个采石场叫鸿基石材，天天放炮", "鸿基石材"),
        ("街角开了家火锅店叫做蜀味坊，油烟直排", "蜀味坊"),
    ],
)
def test_names_introduced_by_jiao(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        ("工厂叫停了但还在偷偷生产", None),  # 叫停 is a verb
        ("工地叫我们忍一忍，说月底完工", None),  # a pronoun is no name
        ("小贩叫卖声很吵，旁边的粮油店也放喇叭", "粮油店"),
    ],
)
def test_jiao_that_introduces_no_name(text: str, polluter: str | None) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # A name in brackets after a word of a kind replaces it.
        ("村口一家化工厂（恒昌精细化工）晚上排废气", "恒昌精细化工"),
        ("一家工厂（宏达化工有限公司）偷排", "宏达化工有限公司"),
        # not a phone number, nor a former place name
        ("城东一家鞋厂（电话：13900001111）刷胶味很重", "鞋厂"),
        ("宾阳县（原宾州）有个养鸡场很臭", "养鸡场"),
    ],
)
def test_names_in_brackets(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # Logistics parks and waste sites are businesses ...
        ("硚口区某街道瑞丰冷链物流园冷库机组噪音大", "瑞丰冷链物流园"),
        ("城郊的永清固废处置场露天堆放", "永清固废处置场"),
        ("镇上的绿源医废处置中心冒黑烟", "绿源医废处置中心"),
        ("东岭垃圾填埋场渗滤液外流", "东岭垃圾填埋场"),
        # ... the bare words are generic.
        ("附近的填埋场很臭", None),
        ("物流园货车半夜很吵", None),
    ],
)
def test_logistics_parks_and_waste_sites(text: str, polluter: str | None) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # Words a walk back from the suffix must not swallow.
        ("请问基站辐射超标吗", None),
        ("来电人家距厂区约200米，噪音很大", None),
        ("去年宏图砖厂扩建后烟更大", "宏图砖厂"),  # a time phrase
        ("这几年村上砖厂越开越多", "砖厂"),  # a time phrase and a place word on 上
        ("垃圾越堆越多变成垃圾场了", None),
        ("希望城管能规范一下福兴菜市场", "福兴菜市场"),
        # a quantity (一排) before a generic word
        ("街边一排商铺晚上很吵", None),
        # many of a kind are no one polluter
        ("河边有好多石场，灰很大", None),
        ("不少砖厂晚上冒烟", None),
        # a name whose last word is a town (马店镇) is a place
        ("我每天都要经过马店，路边烟很大", None),
    ],
)
def test_what_a_walk_back_leaves_out(text: str, polluter: str | None) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # A suffix inside a town or village name (木厂 + 口镇, 店 + 口镇, 石厂 + 口村) is no polluter.
        ("唐山迁安木厂口镇，恒通石料厂夜里还在开采", "恒通石料厂"),
        ("诸暨市店口镇的永兴铜材厂偷排废水", "永兴铜材厂"),
        ("我家在石厂口村，附近的宏昌砖厂冒烟", "宏昌砖厂"),
    ],
)
def test_suffix_inside_a_place_name(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # business kinds that end a name: 菜馆, 冷库, 木业, 煤窑, 石料场, 串串香
        ("小区底商的巴蜀人家川菜馆后厨油烟直排", "巴蜀人家川菜馆"),
        ("码头边的鑫海冷库制冷机组整夜嗡嗡响", "鑫海冷库"),
        ("开发区的宏福木业夜里开机器，粉尘飘进村里", "宏福木业"),
        ("后山有个小煤窑，挖得地都塌了", "小煤窑"),
        ("村口的老王串串香把锅底油倒进下水道", "老王串串香"),
        # 不锈钢 is a word, not a negation, in a name after 叫
        ("一家叫华兴不锈钢的门市天天切割，吵得很", "华兴不锈钢"),
    ],
)
def test_more_business_kinds(text: str, polluter: str) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        ("刮风的时候尾矿砂满天飞", None),  # 尾矿 is tailings, not a mine
        ("有人在山上私自采矿，树都砍了", None),
        ("这一带木器厂多，晚上喷漆味很重", "木器厂"),  # 一带 is "around here", no name
        ("有人收集饭店泔水熬地沟油", None),  # 收集 is what someone does, 饭店 is generic
    ],
)
def test_verbs_and_area_words_are_no_part_of_a_name(text: str, polluter: str | None) -> None:
    assert extract(text).polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # 三台 is a county of 绵阳, not "three machines" (三台机器)
        ("三台县宏达化工有限公司晚上排废气", "三台县宏达化工有限公司"),
        ("村里三家石材厂天天排污", None),  # several, not the one complained about
        ("潞城区店上镇焦化厂附近晚上气味很大", "焦化厂"),  # 店上镇 is a town, no shop
        ("旺达肉牛养殖专业合作社的牛粪堆在路边", "旺达肉牛养殖专业合作社"),
        ("西山一座白灰窑还在偷偷烧石灰", "白灰窑"),
        ("村口的废旧电瓶回收点把废酸倒在地上", "废旧电瓶回收点"),
        ("某在建楼盘工地扬尘很大", None),  # 在建 is "under construction", no name
        ("金鑫选矿厂尾矿库一刮风就扬尘", "金鑫选矿厂"),  # the plant's tailings pond
    ],
)
def test_counties_towns_and_farm_cooperatives(text: str, polluter: str | None) -> None:
    assert extract(text, province="四川省", city="绵阳市").polluter == polluter


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        # a grill named without 店; 烧烤 alone, or where, names nobody
        ("小区门口的阿满烧烤烟子熏人", "阿满烧烤"),
        ("楼下烧烤的烟子往上冒", None),
        ("夏天晚上吃烧烤的人多，吵", None),
        # a word starting with a pronoun ends the name: the citizen's own shop, a row pointed at
        ("我开面馆的，隔壁砖厂灰大", "面馆"),  # a bare kind, not 「我开面馆」
        ("超市那排门市晚上放音乐", None),
        # 叫啥子 / 叫什么: "what", then the name, also after the kind in the clause before
        ("是个养殖场，叫啥子鸿运来", "鸿运来"),
        ("村口开了个洗砂场，叫什么金沙源", "金沙源"),
    ],
)
def test_spoken_names_and_pointing_words(text: str, polluter: str | None) -> None:
    assert extract(text).polluter == polluter


def test_a_smell_of_a_kind_names_nobody() -> None:
    assert extract("晾在阳台的衣服全是一股烧烤味").polluter is None


@pytest.mark.parametrize(
    ("text", "polluter"),
    [
        ("街口那家巴山老火锅的排烟管对着我家窗户", "巴山老火锅"),
        ("河边的清溪鱼庄把潲水倒进河里", "清溪鱼庄"),
        ("镇上那家李记汽修的废机油往沟里流", "李记汽修"),
        ("对面银河购物中心的大屏通宵亮", "银河购物中心"),
        ("周末去吃火锅，回来一身味", None),
        ("我家小院里全是灰", None),
    ],
)
def test_restaurants_garages_and_malls_named_without_a_shop_word(
    text: str, polluter: str | None
) -> None:
    assert extract(text).polluter == polluter
