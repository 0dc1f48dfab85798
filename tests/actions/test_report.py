"""Report actions with CollectingDispatcher and fixture trackers, against a real store."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.report import (
    ActionAskArea,
    ActionAskCategories,
    ActionAskContact,
    ActionAskDescription,
    ActionAskLocation,
    ActionAskPolluter,
    ActionExtractReportSlots,
    ActionReportSummary,
    ActionSubmitReport,
    ActionTriage,
)
from bot.casework.store import CaseStore
from bot.exceptions import StoreUnavailable
from tests.actions.conftest import load_tracker, user_turn

# what every action that ends the bot's turn returns last (actions/report.py, then_listen)
LISTEN = {"event": "followup", "name": "action_listen", "timestamp": None}


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_submit_files_the_report_and_clears_the_form(
    store: CaseStore, dispatcher: CollectingDispatcher
) -> None:
    events = await ActionSubmitReport(store).run(dispatcher, load_tracker("report_complete"), {})
    slots = _slots(events)
    ticket = slots["filed_ticket"]
    assert re.fullmatch(r"HB-\d{8}-\d{4}", ticket)
    assert ticket in _texts(dispatcher)
    assert slots["description"] is None and slots["report_uid"] is None
    issue = store.get(ticket)
    assert issue is not None
    assert issue.channel == "rest"
    assert events[-1] == LISTEN
    assert issue.reporter_sender_id == "citizen-001"
    assert issue.reporter_phone == "13812345678" and not issue.anonymous
    assert issue.categories == ["大气"]
    assert (issue.district, issue.town, issue.address) == ("涪城区", "青义镇", "商家村三组")
    assert issue.polluter is None  # 不详 is not a polluter
    assert issue.has_evidence is True
    assert "冒黑烟" in issue.original_text
    assert [e.to_status for e in issue.events] == ["received"]


async def test_submit_twice_files_once(store: CaseStore) -> None:
    first = _slots(
        await ActionSubmitReport(store).run(
            CollectingDispatcher(), load_tracker("report_complete"), {}
        )
    )
    again = CollectingDispatcher()
    second = _slots(await ActionSubmitReport(store).run(again, load_tracker("report_complete"), {}))
    assert first["filed_ticket"] == second["filed_ticket"]
    assert "已经登记过" in _texts(again)
    assert store.count() == 1


async def test_submit_with_the_database_down_returns_no_events(
    dispatcher: CollectingDispatcher, tmp_path
) -> None:
    broken = CaseStore.from_url(f"sqlite:///{tmp_path / 'no-schema.db'}")
    events = await ActionSubmitReport(broken).run(dispatcher, load_tracker("report_complete"), {})
    # No events and no text: the ActionFailurePolicy answers "busy, nothing lost, retry".
    assert events == [] and dispatcher.messages == []
    with pytest.raises(StoreUnavailable):
        broken.get("HB-20260101-0001")


async def test_submit_anonymous_keeps_no_phone(
    store: CaseStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = load_tracker(
        "report_complete",
        slots={
            "contact": "匿名",
            "contact_phone": None,
            "anonymous": True,
            "report_uid": "rest:anon",
        },
    )
    ticket = _slots(await ActionSubmitReport(store).run(dispatcher, tracker, {}))["filed_ticket"]
    issue = store.get(ticket)
    assert issue is not None and issue.anonymous and issue.reporter_phone is None


async def test_submit_with_nothing_collected(
    store: CaseStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = load_tracker("report_complete", slots={"description": None, "report_messages": None})
    events = await ActionSubmitReport(store).run(dispatcher, tracker, {})
    assert _slots(events) == {"filed_ticket": None}
    assert "没有待提交" in _texts(dispatcher)
    assert store.count() == 0


async def test_summary_reads_back_with_masked_phone(dispatcher: CollectingDispatcher) -> None:
    events = await ActionReportSummary().run(dispatcher, load_tracker("report_complete"), {})
    text = _texts(dispatcher)
    assert "您反映的是涪城区青义镇商家村三组附近的大气问题，对吗？" in text
    assert "138****5678" in text and "13812345678" not in text
    assert _slots(events)["report_uid"] == "rest:fixture-0001"
    assert events[-1] == LISTEN


async def test_summary_gives_a_new_report_an_id(dispatcher: CollectingDispatcher) -> None:
    events = await ActionReportSummary().run(
        dispatcher, load_tracker("report_complete", slots={"report_uid": None}), {}
    )
    assert _slots(events)["report_uid"].startswith("rest:")


@pytest.mark.parametrize(
    ("text", "intent", "requested", "expected"),
    [
        ("不清楚", "inform", "polluter", {"polluter": "不详"}),
        ("没有", "deny", "evidence", {"evidence": "无", "has_evidence": False}),
        ("有视频，拍到了排污口", "inform", "evidence", {"has_evidence": True}),
        ("匿名", "inform", "contact", {"contact": "匿名", "anonymous": True}),
        (
            "我的电话是139 1234 5678",
            "inform",
            "contact",
            {"contact": "13912345678", "anonymous": False},
        ),
        ("3", "inform", "categories", {"categories": ["噪声"]}),
    ],
)
async def test_extract_answers_the_requested_slot(
    text: str,
    intent: str,
    requested: str,
    expected: dict[str, Any],
    dispatcher: CollectingDispatcher,
) -> None:
    events = await ActionExtractReportSlots().run(
        dispatcher, user_turn(text, intent, requested_slot=requested), {}
    )
    slots = _slots(events)
    for key, value in expected.items():
        assert slots[key] == value


async def test_extract_rejects_a_bad_phone(dispatcher: CollectingDispatcher) -> None:
    events = await ActionExtractReportSlots().run(
        dispatcher, user_turn("12345", "inform", requested_slot="contact"), {}
    )
    assert _slots(events)["contact"] is None
    # the hint is the question asked again (test_the_contact_question_asked_again_…)
    assert dispatcher.messages == [] and "carried_messages" not in _slots(events)


async def test_extract_ignores_questions_about_other_things(
    dispatcher: CollectingDispatcher,
) -> None:
    events = await ActionExtractReportSlots().run(
        dispatcher, user_turn("举报有奖励吗", "ask_reward", requested_slot="location"), {}
    )
    assert events == []


async def test_one_shot_message_fills_several_slots(dispatcher: CollectingDispatcher) -> None:
    tracker = user_turn(
        "游仙区石马镇的鑫达砖厂每天晚上冒浓烟，呛得人睡不着", "report_problem", form_active=False
    )
    slots = _slots(await ActionExtractReportSlots().run(dispatcher, tracker, {}))
    assert "大气" in slots["categories_found"]
    assert "石马镇" in slots["area"]
    assert slots["polluter"] == "鑫达砖厂"
    assert slots["time_text"]
    assert slots["description"].startswith("游仙区石马镇")


async def test_correction_at_the_summary_replaces_the_place(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = user_turn(
        "不对，地点是安州区秀水镇",
        "correct_report",
        form_active=False,
        slots={"area": "四川省绵阳市安州区花荄镇", "location": "安州区花荄镇"},
    )
    slots = _slots(await ActionExtractReportSlots().run(dispatcher, tracker, {}))
    assert "秀水镇" in slots["area"]


async def test_ask_actions_send_their_question(dispatcher: CollectingDispatcher) -> None:
    events = await ActionAskContact().run(dispatcher, user_turn("x", "inform"), {})
    assert "手机号码" in _texts(dispatcher) and dispatcher.messages[0]["buttons"]
    assert events == [LISTEN]  # the question ends the bot's turn without another policy run


async def test_the_contact_question_asked_again_says_how_to_write_a_number(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = user_turn("幺三八不知道", "inform", requested_slot="contact")
    tracker.events[:0] = [
        {"event": "action", "name": "report_form"},
        {"event": "slot", "name": "requested_slot", "value": "contact"},
        {"event": "action", "name": "action_listen"},
    ]
    await ActionAskContact().run(dispatcher, tracker, {})
    assert "没能识别出手机号码" in _texts(dispatcher)
    first = CollectingDispatcher()
    await ActionAskContact().run(first, user_turn("没有", "deny", requested_slot="evidence"), {})
    assert "没能识别出手机号码" not in _texts(first) and "手机号码" in _texts(first)


async def test_ask_area_lists_the_candidates_as_numbered_choices(
    dispatcher: CollectingDispatcher,
) -> None:
    candidates = ["四川省绵阳市江油市太平镇", "四川省绵阳市游仙区太平镇"]
    events = await ActionAskArea().run(
        dispatcher, user_turn("x", "inform", slots={"place_candidates": candidates}), {}
    )
    [message] = dispatcher.messages
    assert "“太平镇”" in message["text"]
    assert "1. 四川省绵阳市江油市太平镇" in message["text"]
    assert "2. 四川省绵阳市游仙区太平镇" in message["text"]
    assert events == [LISTEN]


async def test_triage_starts_a_report_from_a_complete_message_whatever_the_intent(
    dispatcher: CollectingDispatcher,
) -> None:
    text = "梓潼县文昌镇的宏兴饲料厂这几天晚上一直冒黑烟，呛得人睡不着"
    events = await ActionTriage().run(dispatcher, user_turn(text, "nlu_fallback"), {})
    values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert values["scope"] == "report"
    assert values["description"]
    assert values["categories_found"] == ["大气"]
    assert values["area_parts"]["district"] == "梓潼县"
    assert dispatcher.messages == []


async def test_categories_question_asks_for_more_when_problems_were_named(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = user_turn("x", "inform", slots={"categories_found": ["油烟", "噪声"]})
    events = await ActionAskCategories().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert "油烟、噪声" in message["text"] and "还有什么问题" in message["text"]
    assert events == [LISTEN]


async def test_triage_tells_where_a_matter_that_is_not_ours_goes(
    dispatcher: CollectingDispatcher,
) -> None:
    text = "老板拖欠我们三个月工钱了，电话也不接"
    tracker = user_turn(text, "report_problem", slots={"description": text})
    events = await ActionTriage().run(dispatcher, tracker, {})
    values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert values["scope"] == "elsewhere"
    assert values["description"] is None  # what the citizen said is not kept as a report
    [message] = dispatcher.messages
    assert "12333" in message["text"]


def _wechat_pin(lat: float, lng: float, requested_slot: str, **slots: Any) -> Tracker:
    """A WeChat citizen's tracker whose latest message is a location pin."""
    text = "[位置] 四川省德阳市旌阳区某路"
    latest = {
        "text": text,
        "intent": {"name": "inform", "confidence": 0.9},
        "entities": [],
        "metadata": {"location": {"latitude": lat, "longitude": lng}},
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": "wechat"}]
    return Tracker(
        "oWeChatCitizen01",
        {"requested_slot": requested_slot, **slots},
        latest,
        events,
        False,
        None,
        {"name": "report_form"},
        "action_listen",
    )


@pytest.mark.parametrize(
    "action", [ActionAskLocation(), ActionAskPolluter(), ActionAskCategories()]
)
async def test_the_question_after_a_pin_outside_the_city_says_why_first(
    action: Any, dispatcher: CollectingDispatcher
) -> None:
    slot = action.slot
    tracker = _wechat_pin(31.13, 104.40, slot, categories_found=["大气"])
    await action.run(dispatcher, tracker, {})
    notice, question = dispatcher.messages
    assert "四川省德阳市旌阳区" in notice["text"] and "不在绵阳市范围内" in notice["text"]
    assert "不在绵阳市" not in question["text"]


async def test_the_question_after_a_pin_inside_the_city_is_just_the_question(
    dispatcher: CollectingDispatcher,
) -> None:
    await ActionAskLocation().run(dispatcher, _wechat_pin(31.512, 104.712, "location"), {})
    assert len(dispatcher.messages) == 1 and "哪里" in dispatcher.messages[0]["text"]


async def test_a_rest_clients_pin_metadata_is_not_read(dispatcher: CollectingDispatcher) -> None:
    """Only WeChat sets pins; a REST client's metadata is never read (actions.common)."""
    tracker = _wechat_pin(31.13, 104.40, "location")
    tracker.events[0]["input_channel"] = "rest"
    await ActionAskLocation().run(dispatcher, tracker, {})
    assert len(dispatcher.messages) == 1


# --- a matter that is not ours, said in answer to the form's first question -----------------


def _in_form(text: str, intent: str, requested: str, **slots: Any) -> Tracker:
    tracker = user_turn(text, intent, requested_slot=requested, slots=slots)
    tracker.events[0]["timestamp"] = 1700000000.5
    return tracker


async def test_an_answer_that_is_not_ours_ends_the_report_with_where_to_go(
    dispatcher: CollectingDispatcher,
) -> None:
    answer = "就是我们楼的物业乱收费，电梯坏了几个月也不修"
    tracker = _in_form(answer, "inform", "description", report_messages=["我要投诉"])
    events = await ActionExtractReportSlots().run(dispatcher, tracker, {})
    slots = _slots(events)
    carried = slots["carried_messages"]
    assert carried["for"] == 1700000000.5 and carried["ends_report"] is True
    assert "12345" in carried["messages"][0]["text"]
    assert slots["description"] is None and slots["report_messages"] is None
    assert dispatcher.messages == []  # Rasa would drop them: the next action says them

    # the form then asks again; the question action says where to go and ends the report
    tracker.slots.update(slots)
    asked = CollectingDispatcher()
    ask_events = await ActionAskDescription().run(asked, tracker, {})
    assert "12345" in _texts(asked) and "不属于生态环境部门" in _texts(asked)
    assert "请描述" not in _texts(asked)
    assert {"event": "active_loop", "name": None, "timestamp": None} in ask_events
    assert _slots(ask_events) == {"carried_messages": None, "requested_slot": None}
    assert ask_events[-1] == LISTEN


async def test_a_not_ours_word_after_a_problem_was_named_is_an_answer(
    dispatcher: CollectingDispatcher,
) -> None:
    # the smoke was named already: the wages are part of the story, not a different matter
    tracker = _in_form(
        "厂里拖欠工资的事也有，反正就是那个厂", "inform", "polluter", categories=["大气"]
    )
    slots = _slots(await ActionExtractReportSlots().run(dispatcher, tracker, {}))
    assert "carried_messages" not in slots
    assert slots.get("polluter")


async def test_carried_messages_of_an_earlier_message_are_not_said_again(
    dispatcher: CollectingDispatcher,
) -> None:
    stale = {"for": 1600000000.0, "messages": [{"text": "旧消息"}], "ends_report": True}
    tracker = _in_form("涪城区", "inform", "area", carried_messages=stale)
    events = await ActionAskArea().run(dispatcher, tracker, {})
    assert "旧消息" not in _texts(dispatcher)
    assert _slots(events) == {"carried_messages": None}  # cleared, the form goes on
    assert events[-1] == LISTEN
