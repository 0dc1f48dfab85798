"""The REST channel's request rules (connectors/rest_support.py): no Rasa needed.

The channel itself imports Rasa and is tested end to end in tests/e2e/test_channel_trust.py.
"""

from __future__ import annotations

import json

import pytest

from connectors.rest_support import (
    MAX_BODY_BYTES,
    MAX_SENDER_CHARS,
    RestError,
    conversation_id,
    mask_sender,
    parse_request,
)


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("raw", "code", "status"),
    [
        (b"", "empty", 400),
        (None, "empty", 400),
        (b" \n\t", "empty", 400),
        (b"sender=a&message=b", "bad_json", 400),
        (b'{"sender": "a", "message": ', "bad_json", 400),
        ('{"sender": "a", "message": "我要举报"}'.encode("gbk"), "binary", 400),
        (b"[]", "not_object", 400),
        (b"null", "not_object", 400),
        (b"123", "not_object", 400),
        (_json("我要举报"), "not_object", 400),
        (_json([{"sender": "a", "message": "你好"}]), "not_object", 400),
        (_json({"message": "我要举报"}), "bad_sender", 400),
        (_json({"sender": None, "message": "我要举报"}), "bad_sender", 400),
        (_json({"sender": 123, "message": "我要举报"}), "bad_sender", 400),
        (_json({"sender": ["a"], "message": "我要举报"}), "bad_sender", 400),
        (_json({"sender": "", "message": "我要举报"}), "bad_sender", 400),
        (_json({"sender": "   ", "message": "我要举报"}), "bad_sender", 400),
        (_json({"sender": "a" * (MAX_SENDER_CHARS + 1), "message": "你好"}), "bad_sender", 400),
        (_json({"sender": "a\nb", "message": "你好"}), "bad_sender", 400),
        (_json({"sender": "a\x00", "message": "你好"}), "bad_sender", 400),
        (_json({"sender": "a"}), "bad_message", 400),
        (_json({"sender": "a", "message": None}), "bad_message", 400),
        (_json({"sender": "a", "message": 5}), "bad_message", 400),
        (_json({"sender": "a", "message": {"text": "你好"}}), "bad_message", 400),
        (_json({"sender": "a", "message": ["你好"]}), "bad_message", 400),
        (_json({"sender": "a", "message": "你好", "metadata": []}), "bad_metadata", 400),
        (_json({"sender": "a", "message": "你好", "metadata": "x"}), "bad_metadata", 400),
        (_json({"sender": "a", "message": "你好", "metadata": 1}), "bad_metadata", 400),
        (b" " * (MAX_BODY_BYTES + 1), "too_large", 413),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(
    raw: bytes | None, code: str, status: int
) -> None:
    with pytest.raises(RestError) as caught:
        parse_request(raw)
    assert (caught.value.code, caught.value.status) == (code, status)
    error = caught.value.body()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_en"] and error["reason"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), "a Chinese reason"


@pytest.mark.parametrize(
    ("body", "sender", "text"),
    [
        ({"sender": "web-1", "message": "我要举报"}, "web-1", "我要举报"),
        ({"sender": "访客 007", "message": ""}, "访客 007", ""),
        ({"sender": "a" * MAX_SENDER_CHARS, "message": "你好"}, "a" * MAX_SENDER_CHARS, "你好"),
        # what the body says about the channel is not believed, and metadata is dropped
        (
            {
                "sender": "hotline:call-1",
                "message": "确认",
                "input_channel": "hotline",
                "metadata": {"hotline": {"call_id": "call-1", "draft": {"description": "x"}}},
            },
            "hotline:call-1",
            "确认",
        ),
        (
            {"sender": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "message": "你好", "metadata": None},
            "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "你好",
        ),
    ],
)
def test_a_request_is_a_rest_message_in_rests_own_namespace(
    body: dict[str, object], sender: str, text: str
) -> None:
    msg = parse_request(_json(body))
    assert (msg.sender, msg.text) == (sender, text)
    assert msg.sender_id == f"rest:{sender}" == conversation_id(sender)
    assert not hasattr(msg, "metadata") and not hasattr(msg, "input_channel")


def test_a_long_message_in_a_small_body_is_parsed_for_the_channel_to_refuse_politely() -> None:
    msg = parse_request(_json({"sender": "a", "message": "污" * 40_000}))
    assert len(msg.text) == 40_000


@pytest.mark.parametrize(
    ("sender", "masked"),
    [("13812345678", "138…78"), ("web-visitor-42", "web…42"), ("short", "***")],
)
def test_senders_are_masked_for_logs(sender: str, masked: str) -> None:
    assert mask_sender(sender) == masked


def test_a_message_may_carry_its_id_and_a_bad_one_is_refused() -> None:
    """Issue 17: a message sent again after its server died is answered, not run twice."""
    msg = parse_request(
        json.dumps({"sender": "u1", "message": "确认", "message_id": "m-7"}).encode()
    )
    assert msg.message_id == "m-7"
    assert (
        parse_request(json.dumps({"sender": "u1", "message": "确认"}).encode()).message_id is None
    )
    for bad in ("", "has space", "x" * 65, 7):
        with pytest.raises(RestError) as caught:
            parse_request(
                json.dumps({"sender": "u1", "message": "确认", "message_id": bad}).encode()
            )
        assert caught.value.status == 400
