"""What channel messages mean for a report: media as evidence, a location pin's coordinates."""

from __future__ import annotations

from typing import Any

import pytest

from bot.intake import Context, build_draft, interpret, pin_notice, triage
from bot.intake.places import pin_coordinates

CTX = Context()
PIN = {"location": {"latitude": 31.512, "longitude": 104.712, "precision": 15.0}}  # 涪城区
YOUXIAN_PIN = {"location": {"latitude": 31.5328, "longitude": 104.88946}}  # 游仙区


def ask(
    slot: str,
    text: str,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    intent: str = "inform",
) -> dict[str, Any]:
    return interpret(
        text,
        intent=intent,
        requested_slot=slot,
        form_active=True,
        slots=slots or {},
        ctx=CTX,
        metadata=metadata,
    ).slots


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("[图片]", "已发送照片"),
        ("[视频]", "已发送视频"),
        ("[语音]", "已发送录音"),
        ("[链接] 偷排视频", "已发送链接"),
    ],
)
def test_media_answers_the_evidence_question(text: str, evidence: str) -> None:
    slots = ask("evidence", text)
    assert slots["evidence"] == evidence and slots["has_evidence"] is True


def test_media_counts_even_when_classified_as_deny() -> None:
    assert ask("evidence", "[图片]", intent="deny")["has_evidence"] is True


def test_media_during_another_question_keeps_that_question_open() -> None:
    slots = ask("time_text", "[图片]")
    assert slots["time_text"] is None
    assert slots["has_evidence"] is True


def test_several_photos_add_up() -> None:
    slots = ask("time_text", "[视频]", {"evidence": "已发送照片"})
    assert slots["evidence"] == "已发送照片；已发送视频"
    assert ask("time_text", "[图片]", {"evidence": "已发送照片"})["evidence"] == "已发送照片"


def test_pin_answers_where_with_area_and_coordinates() -> None:
    slots = ask("location", "[位置] 四川省绵阳市涪城区青义镇商家村", metadata=PIN)
    assert slots["latitude"] == 31.512 and slots["longitude"] == 104.712
    assert slots["area_parts"]["district"] == "涪城区" and slots["area_parts"]["town"] == "青义镇"
    assert "[位置]" not in slots["location"]


def test_pin_during_another_question_fills_the_place_and_asks_again() -> None:
    slots = ask("polluter", "[位置] 四川省绵阳市游仙区石马镇", metadata=YOUXIAN_PIN)
    assert slots["polluter"] is None
    assert slots["area_parts"]["district"] == "游仙区"
    assert slots["area_parts"]["town"] == "石马镇"
    assert slots["latitude"] == 31.5328


def test_the_pins_coordinates_decide_the_county_not_its_label() -> None:
    """The label names 游仙区, the coordinates are in 涪城区 (point-in-polygon on the real
    boundary files): the county is 涪城区, and the label's town (in 游仙区) is not kept."""
    slots = ask("location", "[位置] 四川省绵阳市游仙区石马镇", metadata=PIN)
    assert slots["area_parts"]["district"] == "涪城区"
    assert slots["area_parts"]["town"] is None
    assert slots["area"] == "四川省绵阳市涪城区"
    assert slots["latitude"] == 31.512


def test_a_pin_without_a_label_gets_its_county_from_the_coordinates() -> None:
    slots = ask("location", "[位置] 北纬31.53280 东经104.88946", metadata=YOUXIAN_PIN)
    assert slots["area_parts"] == {
        "province": "四川省",
        "city": "绵阳市",
        "district": "游仙区",
        "town": None,
    }
    assert (slots["latitude"], slots["longitude"]) == (31.5328, 104.88946)


DEYANG = {"location": {"latitude": 31.13, "longitude": 104.40}}  # 德阳市旌阳区


def test_a_pin_outside_the_city_is_not_kept_and_the_question_is_asked_again() -> None:
    upd = interpret(
        "[位置] 四川省绵阳市涪城区青义镇",  # a label can say anything; the coordinates decide
        intent="inform",
        requested_slot="location",
        form_active=True,
        slots={},
        ctx=CTX,
        metadata=DEYANG,
    )
    assert upd.slots == {"location": None, "report_messages": ["[位置] 四川省绵阳市涪城区青义镇"]}
    # Rasa drops a slot mapping's messages: the question (pin_notice) says why.
    assert upd.messages == []


def test_the_notice_for_a_pin_outside_the_city_says_where_it_is() -> None:
    notice = pin_notice("[位置] 四川省德阳市旌阳区某路", DEYANG, CTX)
    assert notice is not None
    assert "您发送的位置在四川省德阳市旌阳区，不在绵阳市范围内" in notice["text"]
    assert "12345" in notice["text"] and "重新发送位置" in notice["text"]
    abroad = pin_notice("[位置] ", {"location": {"latitude": 1.29, "longitude": 103.85}}, CTX)
    assert abroad is not None and abroad["text"].startswith("您发送的位置不在绵阳市范围内")
    assert pin_notice("[位置] 涪城区", PIN, CTX) is None  # inside
    assert pin_notice("德阳那边", DEYANG, CTX) is None  # not a pin message
    assert pin_notice("[位置] 某处", {}, CTX) is None  # a pin without coordinates


def test_a_pin_outside_the_city_as_the_first_message_is_not_ours() -> None:
    result = triage(
        "[位置] 四川省德阳市旌阳区某路", intent="inform", slots={}, ctx=CTX, metadata=DEYANG
    )
    assert result.outcome == "elsewhere"
    assert "不在绵阳市范围内" in result.messages[0]["text"]
    inside = triage(
        "[位置] 四川省绵阳市涪城区青义镇", intent="inform", slots={}, ctx=CTX, metadata=PIN
    )
    assert inside.outcome != "elsewhere"


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        {"location": "x"},
        {"location": {"latitude": "n", "longitude": 1}},
        {"location": {"latitude": 95, "longitude": 10}},
    ],
)
def test_bad_pin_metadata_is_ignored(metadata: Any) -> None:
    assert pin_coordinates(metadata) == {}


def test_coordinates_reach_the_draft() -> None:
    slots = {
        "description": "冒黑烟",
        "categories": ["大气"],
        "latitude": 31.5,
        "longitude": 104.7,
        "anonymous": True,
        "report_uid": "wechat:1",
    }
    d = build_draft(slots, sender_id="o-x", channel="wechat", ctx=CTX)
    assert (d.latitude, d.longitude) == (31.5, 104.7)
    no_pin = build_draft({**slots, "latitude": None}, sender_id="o-x", channel="wechat", ctx=CTX)
    assert no_pin.latitude is None and no_pin.longitude is None


# --- the trained scope classifier, where the scope table has no topic (models/extraction) --------


@pytest.mark.parametrize(
    "text",
    ["孩子在学校被同学欺负了老师也不管", "小区健身器材坏了好几个月没人修"],
)
def test_a_matter_the_table_cannot_place_is_sent_on_when_the_classifier_is_sure(
    text: str,
) -> None:
    result = triage(text, intent="report_problem", slots={}, ctx=CTX)
    assert result.outcome == "elsewhere"
    [message] = result.messages
    assert "看起来不属于" in message["text"] and "12345" in message["text"]


@pytest.mark.parametrize(
    "text",
    [
        "我要反映个事情",  # vague: asked what happened
        "你们管不管嘛",
        "我想问一下",  # short: never the classifier's alone
        "我要举报鑫达砖厂",  # a polluter named: a report starts
    ],
)
def test_vague_or_short_openings_are_not_sent_on(text: str) -> None:
    assert triage(text, intent="report_problem", slots={}, ctx=CTX).outcome != "elsewhere"


def test_in_the_form_the_classifier_may_end_a_report_only_at_the_first_question() -> None:
    text = "孩子在学校被同学欺负了老师也不管"
    first = interpret(
        text, intent="inform", requested_slot="description", form_active=True, slots={}, ctx=CTX
    )
    assert first.ends_report and "12345" in first.messages[0]["text"]
    later = interpret(
        text, intent="inform", requested_slot="polluter", form_active=True, slots={}, ctx=CTX
    )
    assert not later.ends_report
