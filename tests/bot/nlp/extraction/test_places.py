"""Place resolution with the deployment context (default 四川省绵阳市). Sentences written by the team."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract

MY = {"province": "四川省", "city": "绵阳市"}


@pytest.mark.parametrize(
    ("text", "district", "town"),
    [
        ("涪城区有家工厂晚上排黑烟", "涪城区", None),
        ("青义镇的河沟里全是死鱼", "涪城区", "青义镇"),
        ("绵阳市游仙区那边一直有噪音", "游仙区", None),
        ("北川县城边上有人烧垃圾", "北川羌族自治县", None),
        ("江油市郊外的砂石场扬尘大", "江油市", None),
        ("四川省绵阳市三台县的养猪场臭气熏天", "三台县", None),
    ],
)
def test_bare_names_resolve_in_the_deployment_city(
    text: str, district: str, town: str | None
) -> None:
    place = extract(text, **MY).place
    assert place is not None
    assert place.district == district
    assert place.town == town
    assert place.city == "绵阳市"
    assert place.province == "四川省"


def test_ambiguous_town_is_reported_not_guessed() -> None:
    # 新华镇 is no town of 绵阳 but exists in more than one city of 四川省.
    place = extract("新华镇街上的饭店油烟很大", **MY).place
    assert place is not None
    assert place.district is None
    assert len(place.candidates) >= 2
    assert all(c.startswith("四川省") and c.endswith("新华镇") for c in place.candidates)


def test_county_name_in_other_city_needs_context() -> None:
    # 朝阳区 exists in 北京 and 长春: with 绵阳 as context there is nothing to go on.
    place = extract("朝阳区有工地夜间施工", **MY).place
    assert place is None or place.district is None


@pytest.mark.parametrize(
    ("text", "province", "city", "district"),
    [
        ("朝阳区有工地夜间施工", "北京市", "北京市", "朝阳区"),
        ("嘉定区一家工厂排废水", "上海市", "上海市", "嘉定区"),
        ("虎门镇有家五金厂晚上很吵", "广东省", "东莞市", "虎门镇"),
        ("岳口镇的塑料厂冒黑烟", "湖北省", "天门市", "岳口镇"),
    ],
)
def test_other_deployments(text: str, province: str, city: str, district: str) -> None:
    place = extract(text, province=province, city=city).place
    assert place is not None
    assert place.district == district


def test_address_detail_is_kept() -> None:
    place = extract("涪城区青义镇商家村3组的路边堆满了垃圾", **MY).place
    assert place is not None
    assert place.town == "青义镇"
    assert place.address is not None and place.address.startswith("商家村3组")


def test_place_inside_company_name_loses_to_a_real_place() -> None:
    ex = extract("三台宏达化工有限公司在游仙区建了个仓库，天天有异味", **MY)
    assert ex.place is not None
    assert ex.place.district == "游仙区"


def test_full_county_name_inside_company_name_still_counts() -> None:
    ex = extract("江油市宏远建材有限公司晚上偷排废水", **MY)
    assert ex.place is not None and ex.place.district == "江油市"


def test_two_places_in_one_message() -> None:
    ex = extract("涪城区的工厂搬到了游仙区，还是一样臭", **MY)
    assert [p.district for p in ex.places][:2] == ["涪城区", "游仙区"]
    assert ex.place is not None and ex.place.district == "涪城区"


def test_old_county_name_maps_to_the_current_unit() -> None:
    place = extract("射洪县有家化工厂往河里排污水", province="四川省", city="遂宁市").place
    assert place is not None and place.district == "射洪市"


@pytest.mark.parametrize("text", ["家里老人和孩子都受不了这个气味", "今天天气很好", ""])
def test_no_place_in_ordinary_words(text: str) -> None:
    assert extract(text, **MY).place is None


@pytest.mark.parametrize(
    ("text", "province", "city"),
    [
        # A hill, a lake or a reservoir is a landmark, not the office a case is routed to.
        ("青秀山脚下有人烧垃圾", "广西壮族自治区", "南宁市"),
        ("五间房水库边上有人倒垃圾", "吉林省", "白城市"),
        # 办事处 also names township offices and branch offices: without its county, ask.
        ("城厢办事处那边有家厂排污水", "四川省", "绵阳市"),
        # A village named like a town may lie in another town of the city.
        ("青义村有人烧秸秆", "四川省", "绵阳市"),
        # A short name that is the river here (涪江街道 is a street office of 游仙区) …
        ("涪江边上有人往河里倒垃圾", "四川省", "绵阳市"),
        ("厂里的污水一直流到涪江", "四川省", "绵阳市"),
        # … or an ordinary word: 新建了 (newly built), 沿河 (along the river)
        ("楼下新建了一个搅拌站，天天扬尘", "四川省", "南充市"),
        ("沿河的稻田都被污水淹了", "贵州省", "铜仁市"),
    ],
)
def test_weak_evidence_names_no_district(text: str, province: str, city: str) -> None:
    place = extract(text, province=province, city=city).place
    assert place is None or place.district is None


@pytest.mark.parametrize(
    ("text", "province", "city", "district", "town"),
    [
        ("涪城区城厢办事处那边有家厂排污水", "四川省", "绵阳市", "涪城区", "城厢街道"),
        ("游仙区魏城镇有个石材厂把粉尘排到河里", "四川省", "绵阳市", "游仙区", "魏城镇"),
    ],
)
def test_county_named_with_the_town(
    text: str, province: str, city: str, district: str, town: str
) -> None:
    place = extract(text, province=province, city=city).place
    assert place is not None
    assert (place.district, place.town) == (district, town)


def test_town_moved_between_districts_is_asked_about() -> None:
    # The source lists 五尧乡 under 莲池区, hand-over tables route it to 竞秀区 (town_moves.csv).
    place = extract("五尧乡有家饭店油烟很大", province="河北省", city="保定市").place
    assert place is not None and place.district is None
    assert {c[-6:] for c in place.candidates} == {"莲池区五尧乡", "竞秀区五尧乡"}


def test_where_the_reporter_lives_ranks_after_the_problem() -> None:
    ex = extract("我住在涪城区，冒黑烟的厂在游仙区魏城镇", **MY)
    assert ex.place is not None and ex.place.district == "游仙区"
    assert {p.district for p in ex.places} == {"涪城区", "游仙区"}


@pytest.mark.parametrize(
    ("text", "district"),
    [
        # where the reporter lives or works ranks after the problem
        ("我是游仙区的居民，前几天去江油市办事，看到路边有人在烧垃圾", "江油市"),
        ("我现在在涪城区打工，老家在盐亭县，村后的山被人挖空了", "盐亭县"),
        # a home town the reporter has left is named because the problem is there
        ("我家住在涪城区，老家在三台县，今年回去发现村里的河被纸厂弄黑了", "三台县"),
        # the only place named, home or not, is still the place
        ("我是游仙区的居民，楼下饭店的油烟很大", "游仙区"),
        ("我们是安州区某小区的业主，小区旁边的搅拌站灰很大", "安州区"),
        # the county in a company's name is the company's, not where its new plant is
        ("三台县宏达化工有限公司在盐亭县新建的分厂晚上排废气", "盐亭县"),
    ],
)
def test_home_work_and_home_town(text: str, district: str) -> None:
    place = extract(text, **MY).place
    assert place is not None and place.district == district


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("绵阳江油的一家水泥厂粉尘大", "江油市"),
        ("安州区有养猪场粪水横流", "安州区"),
        ("梓潼县城南边的砖厂冒黑烟", "梓潼县"),
    ],
)
def test_mianyang_counties(text: str, district: str) -> None:
    place = extract(text, **MY).place
    assert place is not None and place.district == district


@pytest.mark.parametrize(
    ("text", "province", "city", "district"),
    [
        # a bare zone name resolves to the deployment city's zone of that kind
        ("我家在高新区，楼下饭店的油烟很大", "山东省", "济南市", "济南高新技术产业开发区"),
        ("经开区有家厂晚上偷排废气", "江苏省", "常州市", "常州经济开发区"),
        # the deployment city's zones and landmarks (landmarks.csv), as people say them
        ("经开区有家厂晚上偷排废气", "四川省", "绵阳市", "涪城区"),
        ("仙海那边有家农家乐往湖里倒潲水", "四川省", "绵阳市", "游仙区"),
        ("南郊机场旁边的工地晚上还在打桩", "四川省", "绵阳市", "涪城区"),
        # a compound inside the zone: the zone is not a landmark's name
        ("经开区湿地公园旁边的工地夜里打桩", "江苏省", "常州市", "常州经济开发区"),
        # zones.csv: new areas the official list lacks, and aliases of districts
        ("辽东湾新区有个工地夜里打桩", "辽宁省", "盘锦市", "辽东湾新区"),
        ("辽东湾那边新开的养殖场臭得很", "辽宁省", "盘锦市", "辽东湾新区"),
        ("西咸新区有工地夜里打桩", "陕西省", "咸阳市", "西咸新区"),
        ("两江新区一个工地半夜还在施工", "重庆市", "重庆市", "两江新区"),
        ("金普新区一家工厂往沟里排废水", "辽宁省", "大连市", "金州区"),
        ("南沙新区有个码头扬尘很大", "广东省", "广州市", "南沙区"),
        # a generic town name (高新区 of 武进区) counts with its county
        ("武进区高新区一家厂房天天冒烟", "江苏省", "常州市", "武进区"),
    ],
)
def test_functional_zones(text: str, province: str, city: str, district: str) -> None:
    place = extract(text, province=province, city=city).place
    assert place is not None
    assert place.district == district


@pytest.mark.parametrize(
    ("text", "district", "mention"),
    [
        # roads, streets, neighbourhoods and estates people name instead of a county (landmarks.csv)
        ("跃进路那个餐馆油烟好大", "涪城区", "跃进路"),
        ("跃进路口有个烧烤摊天天冒烟", "涪城区", "跃进路"),
        ("东津路上有家汽修厂喷漆味道刺鼻", "游仙区", "东津路"),
        ("去沈家坝那边看，河边全是白色泡沫", "游仙区", "沈家坝"),
        ("我家住芙蓉汉城，楼下烧烤店油烟大", "游仙区", "芙蓉汉城"),
        ("金桂路旁边有人烧垃圾，烟大得很", "涪城区", "金桂路"),
        # the longer name wins over the road it starts with
        ("跃进路1958有家酒吧半夜还在放音乐", "涪城区", "跃进路1958"),
    ],
)
def test_roads_and_neighbourhoods_of_the_deployment_city(
    text: str, district: str, mention: str
) -> None:
    place = extract(text, **MY).place
    assert place is not None
    assert (place.district, place.mention) == (district, mention)


@pytest.mark.parametrize(
    "text",
    [
        # a 路桥 company named after the road: the road's name starts a longer name
        "跃进路桥工程公司的搅拌站粉尘大",
        "东津路桥建设公司夜里还在施工",
    ],
)
def test_a_road_inside_a_longer_name_is_no_landmark(text: str) -> None:
    place = extract(text, **MY).place
    assert place is None or place.district is None


@pytest.mark.parametrize(
    ("text", "province", "city"),
    [
        # 常州's only unit called 高新区 is a town of 武进区: a bare 高新区 is not routed there
        ("高新区一家厂房天天冒烟", "江苏省", "常州市"),
        # a town called 工业园区 exists in 南部县, but the name is generic
        ("工业园区有个厂半夜排黑烟", "四川省", "南充市"),
        ("工业园区有个厂半夜排黑烟", "四川省", "绵阳市"),
        # the sea, not the new area; and not in another city
        ("辽东湾海域有人倾倒垃圾", "辽宁省", "盘锦市"),
        ("辽东湾那边新开的养殖场臭得很", "辽宁省", "营口市"),
        # 经开区 in a city whose zones are not known
        ("经开区有家厂晚上偷排废气", "四川省", "南充市"),
    ],
)
def test_generic_zone_names_need_their_city_or_county(text: str, province: str, city: str) -> None:
    place = extract(text, province=province, city=city).place
    assert place is None or place.district is None


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("涪江街道有人烧垃圾", "游仙区"),  # the full name still counts
        ("游仙区涪江那边有人烧垃圾", "游仙区"),
    ],
)
def test_river_named_towns_still_resolve_when_written_as_places(text: str, district: str) -> None:
    place = extract(text, **MY).place
    assert place is not None and place.district == district
