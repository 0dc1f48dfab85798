"""A citizen correcting one field of the summary."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract
from bot.nlp.extraction.corrections import parse_correction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不对，地点是游仙区魏城镇", {"place": "游仙区魏城镇"}),
        ("地址应该是涪城区青义镇商家村", {"place": "涪城区青义镇商家村"}),
        ("时间应该是上周五晚上", {"time": "上周五晚上"}),
        ("被举报的是青山砖厂", {"polluter": "青山砖厂"}),
        ("公司是宏达化工有限公司", {"polluter": "宏达化工有限公司"}),
        ("类型改成噪声", {"type": "噪声"}),
        ("类型应该是噪音", {"type": "噪声"}),
        ("类型改成油烟", {"type": "油烟"}),
        ("电话是13912345678", {"contact": "13912345678"}),
        ("问题是晚上有人在河边烧垃圾", {"description": "晚上有人在河边烧垃圾"}),
        ("情况是河水一直发臭", {"description": "河水一直发臭"}),
        ("证据是我拍的两段视频", {"evidence": "我拍的两段视频"}),
        ("好的，谢谢", {}),
    ],
)
def test_parse_correction(text: str, expected: dict[str, str]) -> None:
    assert parse_correction(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不对，地点是游仙区魏城镇，类型改成噪声", {"place": "游仙区魏城镇", "type": "噪声"}),
        (
            "时间应该是上周五晚上；电话是13912345678",
            {"time": "上周五晚上", "contact": "13912345678"},
        ),
        # One field whose value has a comma stays one field.
        ("问题是晚上有人在河边烧垃圾，还有噪音", {"description": "晚上有人在河边烧垃圾，还有噪音"}),
    ],
)
def test_several_fields_in_one_message(text: str, expected: dict[str, str]) -> None:
    assert parse_correction(text) == expected


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("厂在三台那边，哦说错了，是盐亭的", "盐亭县"),
        ("问题在江油 不对不对 是平武县南坝镇", "平武县"),
        ("游仙这边有个砖厂冒黑烟 搞错了 应该是涪城区吴家镇", "涪城区"),
        # no place after the correction: it corrected something else
        ("梓潼县文昌镇有个厂冒黑烟，不对，是冒白烟", "梓潼县"),
    ],
)
def test_the_place_said_after_a_self_correction_wins(text: str, district: str) -> None:
    ex = extract(text, province="四川省", city="绵阳市")
    assert ex.place is not None and ex.place.district == district
