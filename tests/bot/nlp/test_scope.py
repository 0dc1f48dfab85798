"""The scope table (bot/data/scope.yml): what is ours, borderline, elsewhere or unclear.

Sentences are the team's own, not taken from any evaluation set."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract
from bot.nlp.scope import decide, scope_file


def verdict(text: str) -> tuple[str, str | None]:
    ex = extract(text, province="四川省", city="绵阳市")
    scope = decide(text, ex.pollution_types or ex.categories)
    return scope.verdict, scope.topic.target if scope.topic else None


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("对门两口子半夜又在吵架，还说要拿刀砍人", "110"),
        ("楼下那家养的狗天天晚上叫到两三点", "110"),
        ("卫生间天花板被楼上漏水泡坏了，物业一直不来修", "12345（物业/住建）"),
        ("在老板那里干了半年活，工钱一分都没结", "12333"),
        ("网上买的电饭锅用了两天就坏了，商家不给退", "12315"),
        ("小区门口的路灯坏了半个月，晚上黑漆漆的", "12345"),
        ("我们这片停水三天了也没人通知", "12345（供水/供电）"),
        ("早上一开龙头，放出来的水浑浊发黄", "12345（供水/供电）"),
        ("房东不退押金，还说墙上返潮发霉是我弄的", "12345"),
    ],
)
def test_matters_that_are_not_ours_say_where_to_go(text: str, target: str) -> None:
    assert verdict(text) == ("elsewhere", target)


@pytest.mark.parametrize(
    "text",
    [
        "河边那个化工厂晚上偷偷往河里排黄水，味道刺鼻",
        "工地凌晨还在打桩，吵得整栋楼睡不着",
        "村头的河水这几天发黄发臭",  # a river, not the tap
        "自来水厂旁边那条河发黄发臭",
        # an environmental problem beside a grievance that is not ours stays ours
        "物业不管事，楼下餐馆的油烟天天往我们窗户里灌",
        "拖欠工资的那个砖厂，烟囱天天冒黑烟",
    ],
)
def test_pollution_stays_ours_whatever_else_is_said(text: str) -> None:
    assert verdict(text)[0] == "ours"


def test_borderline_matters_are_filed_with_their_rule() -> None:
    text = "晚上广场舞的音响开得震天响，十点多了还不停"
    ex = extract(text, province="四川省", city="绵阳市")
    scope = decide(text, ex.pollution_types)
    assert scope.verdict == "borderline" and scope.ours
    assert scope.topic is not None and "噪声" in scope.topic.rule


def test_nothing_to_go_on_is_unclear() -> None:
    assert verdict("你好，我想问个事情") == ("unclear", None)


def test_the_table_is_checked_when_loaded() -> None:
    topics = scope_file().topics
    assert len({t.key for t in topics}) == len(topics)
    assert all(t.tell and t.agent for t in topics if t.verdict == "elsewhere")
