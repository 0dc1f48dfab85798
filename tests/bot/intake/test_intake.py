"""bot.intake: report fields from chat messages, summaries, drafts, status answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.casework.schemas import EventView, IssueView
from bot.intake import (
    Context,
    build_draft,
    interpret,
    may_view,
    status_variables,
    summary_variables,
)
from bot.intake.categories import categories_from_answer
from bot.nlp.extraction.answers import is_unknown, strip_trigger

CTX = Context()


def answer(text: str, slot: str, intent: str = "inform", **slots: Any) -> dict[str, Any]:
    return interpret(
        text, intent=intent, requested_slot=slot, form_active=True, slots=slots, ctx=CTX
    ).slots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我要举报", ""),
        ("我想反映个问题，河里有死鱼", "河里有死鱼"),
        ("举报一下：工地扬尘", "工地扬尘"),
    ],
)
def test_strip_trigger(text: str, expected: str) -> None:
    assert strip_trigger(text).lstrip("：:") == expected


@pytest.mark.parametrize("text", ["不清楚", "不知道", "我也不知道", "没有"])
def test_unknown_answers(text: str) -> None:
    assert is_unknown(text)


@pytest.mark.parametrize(
    ("text", "found", "expected"),
    [
        ("2", [], ["水"]),
        ("噪声污染", [], ["噪声"]),
        ("随便什么", [], ["其他"]),
        ("水污染", ["水"], ["水"]),
    ],
)
def test_category_answers(text: str, found: list[str], expected: list[str]) -> None:
    assert categories_from_answer(text, found) == expected


def test_first_message_fills_what_it_says_and_nothing_else() -> None:
    upd = interpret(
        "我要举报，涪城区青义镇有家厂晚上偷排污水",
        intent="report_problem",
        requested_slot=None,
        form_active=False,
        slots={},
        ctx=CTX,
    )
    s = upd.slots
    assert s["description"].endswith("偷排污水")
    # kept aside until the categories question asks whether there is more
    assert s["categories_found"] == ["水"] and "categories" not in s
    assert s["area_parts"]["district"] == "涪城区" and s["area_parts"]["town"] == "青义镇"
    assert s["time_text"]
    assert "contact" not in s and "polluter" not in s


def test_bare_trigger_fills_nothing() -> None:
    upd = interpret(
        "我要举报",
        intent="report_problem",
        requested_slot=None,
        form_active=False,
        slots={},
        ctx=CTX,
    )
    assert set(upd.slots) == {"report_messages"}


def test_questions_do_not_touch_the_report() -> None:
    upd = interpret(
        "我的举报怎么样了",
        intent="ask_status",
        requested_slot="location",
        form_active=True,
        slots={},
        ctx=CTX,
    )
    # the slot keeps its value (the from_text mapping's copy of the question is undone)
    assert upd.slots == {"location": None} and upd.messages == []


def test_an_answer_taken_for_a_status_question_is_still_the_answer() -> None:
    upd = interpret(
        "就是那家，门口招牌写的德兴汽修",
        intent="ask_status",
        requested_slot="polluter",
        form_active=True,
        slots={"description": "修车铺晚上喷漆味道大"},
        ctx=CTX,
    )
    assert "德兴汽修" in upd.slots["polluter"]


def test_location_answer_without_area_keeps_the_text_and_leaves_area_open() -> None:
    s = answer("菜市场后面那条小路", "location")
    assert s["location"] == "菜市场后面那条小路"
    assert s["address"] == "菜市场后面那条小路"
    assert "area" not in s


def test_area_answer_resolves_in_the_deployment_city() -> None:
    s = answer("游仙区", "area", location="菜市场后面那条小路", address="菜市场后面那条小路")
    assert s["area_parts"]["city"] == "绵阳市" and s["area_parts"]["district"] == "游仙区"


def test_a_road_answer_gives_the_district_and_keeps_the_road() -> None:
    # 开元路社区 lies in 游仙区: the road says which office the case goes to
    s = answer("开元路那边，菜市场后门", "location")
    assert s["area_parts"]["district"] == "游仙区"
    assert s["address"].startswith("开元路")


def test_roads_of_two_districts_are_listed_and_a_number_picks_one() -> None:
    first = interpret(
        "安昌路和开元路的两个工地都在夜间施工",
        intent="report_problem",
        requested_slot=None,
        form_active=False,
        slots={},
        ctx=CTX,
    ).slots
    assert first["place_candidates"] == ["四川省绵阳市涪城区安昌路", "四川省绵阳市游仙区开元路"]
    assert "area" not in first
    s = answer("1", "area", place_candidates=first["place_candidates"])
    assert s["area_parts"]["district"] == "涪城区"
    assert s["place_candidates"] is None


def test_area_unknown() -> None:
    assert answer("不清楚", "area")["area"] == "不详"


def test_answer_also_fills_other_empty_slots_but_never_overwrites() -> None:
    s = answer("每天晚上，就是鑫达砖厂干的", "time_text", polluter=None)
    assert s["time_text"].startswith("每天晚上")
    assert s["polluter"] == "鑫达砖厂"
    s2 = answer("每天晚上，就是鑫达砖厂干的", "time_text", polluter="宏远养殖场")
    assert "polluter" not in s2


def test_retry_word_does_not_replace_an_answer() -> None:
    assert answer("继续", "time_text", intent="affirm", time_text="每天晚上") == {
        "time_text": "每天晚上"
    }


def test_huge_message_is_clipped() -> None:
    s = answer("污水" * 5000, "description")
    assert len(s["description"]) <= 1000


def _slots(**overrides: Any) -> dict[str, Any]:
    slots: dict[str, Any] = {
        "description": "晚上偷排污水",
        "categories": ["水"],
        "location": "涪城区青义镇商家村",
        "area": "四川省绵阳市涪城区青义镇",
        "area_parts": {
            "province": "四川省",
            "city": "绵阳市",
            "district": "涪城区",
            "town": "青义镇",
        },
        "address": "商家村",
        "time_text": "每天晚上",
        "polluter": "不详",
        "evidence": "无",
        "has_evidence": False,
        "contact": "13812345678",
        "contact_phone": "13812345678",
        "anonymous": False,
        "report_messages": ["我要举报", "晚上偷排污水"],
        "report_uid": "rest:1",
    }
    slots.update(overrides)
    return slots


def test_summary_masks_the_phone_and_reads_naturally() -> None:
    v = summary_variables(_slots())
    assert v["place"] == "涪城区青义镇商家村附近"
    assert v["categories"] == "水" and v["contact"] == "138****5678" and v["polluter"] == "不详"


def test_draft_from_slots() -> None:
    d = build_draft(_slots(), sender_id="s1", channel="rest", ctx=CTX)
    assert (d.district, d.town, d.address, d.polluter) == ("涪城区", "青义镇", "商家村", None)
    assert d.reporter_phone == "13812345678" and not d.anonymous and d.client_ref == "rest:1"
    assert d.original_text == "我要举报\n晚上偷排污水"


def test_draft_tolerates_raw_answers_kept_while_actions_were_away() -> None:
    d = build_draft(
        _slots(
            categories=["噪声污染"],
            area_parts=None,
            area="游仙区那边",
            contact="匿名",
            contact_phone=None,
            anonymous=None,
        ),
        sender_id="s1",
        channel="rest",
        ctx=CTX,
    )
    assert d.categories == ["噪声"] and d.anonymous and d.reporter_phone is None
    assert d.city == "绵阳市" and "游仙区那边" in (d.address or "")


def _issue(**overrides: Any) -> IssueView:
    now = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)
    data: dict[str, Any] = dict(
        id=1,
        ticket="HB-20261122-0001",
        client_ref=None,
        channel="rest",
        reporter_sender_id="s1",
        reporter_name=None,
        reporter_phone="13812345678",
        anonymous=False,
        categories=["水"],
        phenomenon="偷排",
        province="四川省",
        city="绵阳市",
        district="涪城区",
        town="青义镇",
        address="商家村",
        latitude=None,
        longitude=None,
        time_text=None,
        polluter=None,
        has_evidence=None,
        evidence_text=None,
        original_text="",
        status="received",
        created_at=now,
        updated_at=now,
        events=[
            EventView(
                at=now,
                actor="system",
                from_status=None,
                to_status="received",
                note="通过rest渠道登记",
            )
        ],
    )
    data.update(overrides)
    return IssueView(**data)


def test_status_variables_in_local_time() -> None:
    v = status_variables(_issue(), CTX)
    assert v["created"] == "11月22日 10:30 登记"
    assert v["status_label"] == "已登记" and v["summary"] == "涪城区青义镇的水问题"


@pytest.mark.parametrize(
    ("sender", "phone", "allowed"),
    [
        ("s1", None, True),
        ("s2", None, False),
        ("s2", "13812345678", True),
        ("s2", "13900000000", False),
    ],
)
def test_who_may_view(sender: str, phone: str | None, allowed: bool) -> None:
    assert may_view(_issue(), sender_id=sender, phone=phone) is allowed


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("没有了", ["油烟"]),
        ("还有风机一直嗡嗡嗡地响，吵得睡不着", ["油烟", "噪声"]),
        ("不是油烟，是空调外机轰到半夜", ["噪声"]),
    ],
)
def test_the_categories_question_asks_for_more_when_problems_were_named(
    answer: str, expected: list[str]
) -> None:
    slots = {"description": "楼下火锅店的油烟往屋里灌", "categories_found": ["油烟"]}
    upd = interpret(
        answer, intent="inform", requested_slot="categories", form_active=True, slots=slots, ctx=CTX
    )
    assert upd.slots["categories"] == expected
    assert upd.slots["categories_found"] is None


def test_categories_grow_with_every_problem_mentioned_later() -> None:
    slots = {"description": "楼下火锅店油烟往屋里灌", "categories": ["油烟"]}
    upd = interpret(
        "每天晚上，风机嗡嗡嗡响到半夜，还有人划拳",
        intent="inform",
        requested_slot="time_text",
        form_active=True,
        slots=slots,
        ctx=CTX,
    )
    assert upd.slots["categories"] == ["油烟", "噪声"]


@pytest.mark.parametrize(
    ("answer", "grows"),
    [
        ("是那个金牛采石场的", False),  # the quarry names who, not a new problem
        ("就是后山那个石场，老板姓吴", False),
        ("采石场的，他们还把半匹山的树都砍光了", True),  # a phenomenon: a new problem
    ],
)
def test_a_place_word_in_a_later_answer_adds_no_category(answer: str, grows: bool) -> None:
    slots = {"description": "放炮震得房子都在抖，灰大得很", "categories": ["噪声", "扬尘"]}
    upd = interpret(
        answer, intent="inform", requested_slot="polluter", form_active=True, slots=slots, ctx=CTX
    )
    categories = upd.slots.get("categories", slots["categories"])
    assert ("生态" in categories) is grows, categories
    assert "水" not in categories


def test_a_denied_category_is_replaced_by_the_one_named_instead() -> None:
    slots = {"description": "楼下火锅店油烟大", "categories": ["油烟"]}
    upd = interpret(
        "不是油烟，主要是后厨那个风机嗡嗡嗡响一晚上",
        intent="inform",
        requested_slot="polluter",
        form_active=True,
        slots=slots,
        ctx=CTX,
    )
    assert upd.slots["categories"] == ["噪声"]


def test_answers_about_the_place_add_no_category() -> None:
    slots = {"description": "砖厂冒黑烟", "categories": ["大气"]}
    upd = interpret(
        "游仙区魏城镇，水库边上那条路",
        intent="inform",
        requested_slot="location",
        form_active=True,
        slots=slots,
        ctx=CTX,
    )
    assert "categories" not in upd.slots


@pytest.mark.parametrize("intent", ["feedback_unsatisfied", "feedback_satisfied", "deny"])
def test_an_answer_taken_for_feedback_is_still_the_answer(intent: str) -> None:
    """「不晓得，晚上拉来的」 to 「是哪家单位造成的？」 was classified as feedback on a past result
    and the form stalled on it."""
    got = answer("不晓得，晚上拉来的", "polluter", intent=intent)
    assert got.get("polluter")


@pytest.mark.parametrize("intent", ["handoff", "cancel", "ask_reward"])
def test_these_are_never_answers(intent: str) -> None:
    assert "polluter" not in answer("转人工", "polluter", intent=intent)
