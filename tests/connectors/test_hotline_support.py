"""connectors/hotline_support.py: request checks and the JSON answer, without Rasa."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.hotline_support import (
    MAX_BODY_BYTES,
    FollowUp,
    HotlineError,
    NewCall,
    build_response,
    decode_body,
    field_origins,
    parse_request,
    started_at_iso,
)
from connectors.turn_ids import replies_to


@pytest.mark.parametrize(
    ("raw", "code", "status"),
    [
        (b"", "empty", 400),
        (b"\xff\xfe\x00\x01binary", "binary", 400),
        (b"{not json", "bad_json", 400),
        (b"[1, 2]", "bad_json", 400),
        (b"{" + b" " * MAX_BODY_BYTES + b"}", "too_large", 413),
    ],
)
def test_bodies_refused(raw: bytes, code: str, status: int) -> None:
    with pytest.raises(HotlineError) as info:
        decode_body(raw)
    assert (info.value.code, info.value.status) == (code, status)
    body = info.value.body()["error"]
    assert body["message"] and body["message_en"] and body["reason"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"transcript": "来电人：工厂冒黑烟。"}, "bad_call_id"),
        ({"call_id": "a b", "transcript": "来电人：工厂冒黑烟。"}, "bad_call_id"),
        ({"call_id": "x" * 65, "transcript": "来电人：工厂冒黑烟。"}, "bad_call_id"),
        ({"call_id": "c1"}, "missing_transcript"),
        ({"call_id": "c1", "transcript": ""}, "empty"),
        ({"call_id": "c1", "transcript": 42}, "not_text"),
        (
            {"call_id": "c1", "transcript": "There is smoke everywhere near the plant."},
            "not_chinese",
        ),
        (
            {"call_id": "c1", "transcript": "来电人：冒黑烟。", "started_at": "昨天"},
            "bad_started_at",
        ),
        ({"call_id": "c1", "message": "   "}, "empty"),
        ({"call_id": "c1", "message": "好" * 2001}, "bad_message"),
    ],
)
def test_requests_refused(body: dict[str, Any], code: str) -> None:
    with pytest.raises(HotlineError) as info:
        parse_request(body)
    assert info.value.code == code


def test_new_call_and_follow_up() -> None:
    call = parse_request(
        {
            "call_id": "20261123-001",
            "transcript": "来电人：工厂冒黑烟。",
            "caller_number": "13812345678",
            "agent_id": "A1",
            "started_at": "2026-11-23T21:05:00",
        }
    )
    assert isinstance(call, NewCall) and call.sender_id == "hotline:20261123-001"
    assert call.started_at == "2026-11-23T21:05:00+08:00"  # local time of the deployment
    follow = parse_request({"call_id": "20261123-001", "message": " 没有 "})
    assert isinstance(follow, FollowUp) and follow.message == "没有"


def test_started_at_keeps_its_zone() -> None:
    assert started_at_iso("2026-11-23T13:05:00Z") == "2026-11-23T13:05:00+00:00"


def _events() -> list[dict[str, Any]]:
    draft_meta = {
        "hotline": {
            "call_id": "c1",
            "draft": {"description": "冒黑烟"},
            "sources": {
                "area": [
                    {"sentence": "在涪城区青义镇。", "speaker": "caller", "start": 3, "end": 11}
                ]
            },
            "notes": {"contact": "来电号码"},
            "warnings": [{"code": "multiple_problems", "message": "两个问题"}],
            "shape": "labelled",
        }
    }
    return [
        {"event": "user", "text": "冒黑烟", "metadata": draft_meta},
        {"event": "slot", "name": "area", "value": "四川省绵阳市涪城区青义镇"},
        {"event": "slot", "name": "contact", "value": "13812345678"},
        {"event": "action", "name": "report_form"},
        {"event": "user", "text": "每天晚上", "metadata": {"hotline": {"call_id": "c1"}}},
        {"event": "slot", "name": "time_text", "value": "每天晚上"},
        {"event": "action", "name": "report_form"},
    ]


def test_origins_tell_transcript_from_agent() -> None:
    assert field_origins(_events()) == {"area": None, "contact": None, "time_text": "每天晚上"}


def test_response_shape_masks_the_phone_and_lists_questions() -> None:
    slots = {
        "description": "冒黑烟",
        "categories": ["大气"],
        "location": "青义镇",
        "area": "四川省绵阳市涪城区青义镇",
        "time_text": "每天晚上",
        "contact": "13812345678",
        "contact_phone": "13812345678",
        "anonymous": False,
    }
    body = build_response(
        "c1",
        messages=[{"recipient_id": "hotline:c1", "text": "还缺证据"}],
        slots=slots,
        events=_events(),
    )
    assert body["status"] == "drafting" and body["ticket"] is None
    assert body["messages"] == [{"text": "还缺证据"}]
    assert body["draft"]["contact"]["value"] == "138****5678"
    assert body["draft"]["contact"]["by"] == "call"
    assert "13812345678" not in json.dumps(body["draft"], ensure_ascii=False)
    assert body["draft"]["area"]["sources"][0]["sentence"] == "在涪城区青义镇。"
    assert body["draft"]["time_text"]["by"] == "agent"
    assert [m["field"] for m in body["missing"]] == ["polluter", "evidence"]
    assert all(m["question"] for m in body["missing"])
    assert body["warnings"][0]["code"] == "multiple_problems"


def test_filed_response_has_the_ticket_and_nothing_missing() -> None:
    events = [*_events(), {"event": "action", "name": "action_submit_report"}]
    body = build_response(
        "c1", messages=[], slots={"filed_ticket": "HB-20261123-0001"}, events=events
    )
    assert (body["status"], body["ticket"], body["missing"]) == ("filed", "HB-20261123-0001", [])


# -- a turn sent twice (issue 17: a retry on another server) is answered, not run again ---------
def test_a_follow_up_may_carry_its_turn_id() -> None:
    req = parse_request({"call_id": "c-9", "message": "确认", "turn_id": "t-3"})
    assert isinstance(req, FollowUp)
    assert req.message_id == "hotline:c-9:t-3"
    assert parse_request({"call_id": "c-9", "message": "确认"}).message_id is None  # type: ignore[union-attr]
    with pytest.raises(HotlineError) as caught:
        parse_request({"call_id": "c-9", "message": "确认", "turn_id": "bad id!"})
    assert caught.value.status == 400


def test_the_answer_to_a_turn_handled_before_is_read_from_the_conversation() -> None:
    listen = {"event": "action", "name": "action_listen"}
    events = [
        {"event": "user", "text": "工厂冒黑烟", "message_id": "hotline:c-9:t-1"},
        {"event": "bot", "text": "请问在哪里？", "data": {}},
        listen,
        {"event": "user", "text": "确认", "message_id": "hotline:c-9:t-2"},
        {"event": "action", "name": "action_submit_report"},
        {"event": "bot", "text": "已受理", "data": {}},
        {"event": "bot", "text": "还有什么问题", "data": {"buttons": [{"title": "没有"}]}},
        listen,
        {"event": "user", "text": "没有", "message_id": "hotline:c-9:t-3"},
        {"event": "bot", "text": "再见", "data": {}},
    ]
    assert replies_to(events, "hotline:c-9:t-2") == [
        {"text": "已受理"},
        {"text": "还有什么问题", "buttons": [{"title": "没有"}]},
    ]
    assert replies_to(events, "hotline:c-9:t-4") is None  # never arrived: run it
    # the conversation holds the message but not the end of its answer: run it again
    assert replies_to(events, "hotline:c-9:t-3") is None
