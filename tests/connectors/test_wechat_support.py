"""The WeChat channel's pure logic (connectors/wechat_support.py): no Rasa needed.

The channel itself imports Rasa and is tested end to end in tests/e2e/test_wechat.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from wechatpy import parse_message

from bot import texts
from connectors.wechat_menu import install
from connectors.wechat_support import (
    ApiClient,
    SeenMessages,
    UserLanes,
    answer_from_menu,
    backoff,
    clip_text,
    dedupe_key,
    mask_user,
    render_buttons,
    template_payload,
    translate,
    within_service_window,
)
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.fakes.wechat_server import fixture

USER = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def parsed(name: str, **values: Any) -> Any:
    return parse_message(fixture(name, user=USER, **values))


@pytest.mark.parametrize(
    ("name", "values", "kind", "text", "evidence"),
    [
        ("text", {"content": " 我要举报 "}, "text", "我要举报", None),
        ("image", {"media_id": "m1"}, "image", "[图片]", "image"),
        ("shortvideo", {"media_id": "m2"}, "video", "[视频]", "video"),
        ("voice", {"media_id": "m3", "recognition": "河里有死鱼"}, "voice", "河里有死鱼", "voice"),
        ("voice", {"media_id": "m4", "recognition": ""}, "voice", "[语音]", "voice"),
        (
            "link",
            {"title": "偷排视频", "url": "https://example.org/x"},
            "link",
            "[链接] 偷排视频",
            "link",
        ),
        ("event_click", {"key": "GW_REPORT"}, "click", "我要举报", None),
        ("event_click", {"key": "GW_STATUS"}, "click", "我的举报怎么样了", None),
        ("event_click", {"key": "SOMETHING_ELSE"}, "ignored", None, None),
        ("event_unsubscribe", {}, "unsubscribe", None, None),
    ],
)
def test_translate(
    name: str, values: dict[str, Any], kind: str, text: str | None, evidence: str | None
) -> None:
    inbound = translate(parsed(name, **values))
    assert (inbound.kind, inbound.text, inbound.evidence_kind) == (kind, text, evidence)


def test_voice_without_recognition_says_so() -> None:
    inbound = translate(parsed("voice", media_id="m", recognition=""))
    assert inbound.notice and "没能识别" in inbound.notice


def test_subscribe_and_unknown_types_are_answered_at_once() -> None:
    assert "欢迎关注" in (translate(parsed("event_subscribe")).immediate or "")
    unknown = translate(parsed("unknown"))
    assert unknown.kind == "unsupported" and "暂时无法处理" in (unknown.immediate or "")
    assert unknown.text is None


def test_location_pin_carries_coordinates_and_area() -> None:
    msg = parsed("location", lat="31.5", lng="104.7", label="四川省绵阳市涪城区青义镇商家村")
    inbound = translate(
        msg, lambda label: "四川省绵阳市涪城区青义镇" if "青义镇" in label else None
    )
    assert inbound.text == "[位置] 四川省绵阳市涪城区青义镇商家村"
    pin = inbound.metadata["location"]
    assert (pin["latitude"], pin["longitude"], pin["precision"]) == (31.5, 104.7, 15.0)
    assert pin["area"] == "四川省绵阳市涪城区青义镇"


def test_location_without_label_names_the_coordinates_and_survives_a_broken_resolver() -> None:
    def broken(_: str) -> str | None:
        raise RuntimeError("gazetteer down")

    inbound = translate(parsed("location", lat="31.5", lng="104.7", label=""), broken)
    assert inbound.text is not None and "北纬31.50000" in inbound.text
    bad = translate(parsed("location", lat="north", lng="104.7", label="x"))
    assert bad.kind == "unsupported"


def test_dedupe_keys() -> None:
    a = parsed("text", content="a", msg_id=42)
    b = parsed("text", content="b", msg_id=42)
    assert dedupe_key(a) == dedupe_key(b) == "msg:42"
    e1 = parsed("event_click", key="GW_REPORT", time=1000)
    e2 = parsed("event_click", key="GW_REPORT", time=1001)
    assert dedupe_key(e1) != dedupe_key(e2)


def test_seen_messages_claims_once_within_ttl() -> None:
    seen = SeenMessages(ttl_s=10)
    assert seen.claim("msg:1", now=0)
    assert not seen.claim("msg:1", now=5)
    assert seen.claim("msg:2", now=5)
    assert seen.claim("msg:1", now=11)  # expired: WeChat stopped retrying long ago
    small = SeenMessages(ttl_s=100, max_size=2)
    for i in range(5):
        assert small.claim(f"k{i}", now=i)
    assert len(small) <= 2


@pytest.mark.parametrize(
    ("buttons", "expected_lines", "payloads"),
    [
        (
            [{"title": "确认提交", "payload": "确认"}, {"title": "取消", "payload": "取消"}],
            ["1. 确认提交", "2. 取消"],
            ["确认", "取消"],
        ),
        (
            [{"title": "1 大气（废气、黑烟、异味）", "payload": "大气污染"}],
            ["1. 大气（废气、黑烟、异味）"],
            ["大气污染"],
        ),
        ([], [], []),
    ],
)
def test_buttons_become_a_numbered_menu(
    buttons: list[dict[str, str]], expected_lines: list[str], payloads: list[str]
) -> None:
    text, got = render_buttons("请选择", buttons)
    assert got == payloads
    for line in expected_lines:
        assert line in text.splitlines()
    assert (texts.text("citizen", "wechat.menu_hint") in text) == bool(buttons)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("1", "确认"), ("2。", "取消"), ("3", "3"), ("确认", "确认"), ("13812345678", "13812345678")],
)
def test_answer_by_number(answer: str, expected: str) -> None:
    assert answer_from_menu(answer, ["确认", "取消"]) == expected


@pytest.mark.parametrize(
    ("last", "now", "inside"),
    [
        (None, 100.0, False),
        (0.0, 47 * 3600.0, True),
        (0.0, 48 * 3600.0, False),
        (100.0, 50.0, False),
    ],
)
def test_service_window(last: float | None, now: float, inside: bool) -> None:
    assert within_service_window(last, now) is inside


def test_long_replies_are_split_at_line_breaks() -> None:
    text = "\n".join(f"第{i}行" + "很长" * 40 for i in range(20))
    parts = clip_text(text, limit=200)
    assert all(len(p) <= 200 for p in parts)
    assert "".join(p.replace("\n", "") for p in parts) == text.replace("\n", "")
    assert clip_text("短") == ["短"]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(i, 0.5, 3.0) for i in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]


def test_template_payload_maps_notify_fields() -> None:
    data = template_payload({"ticket": "HB-20261122-0001", "status": "已受理", "first": "新进展"})
    assert data["keyword1"] == {"value": "HB-20261122-0001"}
    assert data["keyword2"] == {"value": "已受理"}
    assert data["first"] == {"value": "新进展"}
    assert data["keyword4"] == {"value": ""}


def test_openids_are_masked_for_logs() -> None:
    assert USER not in mask_user(USER) and mask_user(USER).startswith("o6_b")
    assert mask_user(None) == "-"


async def test_lanes_keep_each_users_order_and_run_users_concurrently() -> None:
    lanes = UserLanes("test")
    log: list[str] = []
    release = asyncio.Event()

    def job(user: str, n: int, wait: bool = False) -> Any:
        async def run() -> None:
            if wait:
                await release.wait()
            log.append(f"{user}{n}")

        return run

    lanes.submit("a", job("a", 1, wait=True))
    lanes.submit("a", job("a", 2))
    lanes.submit("b", job("b", 1))
    await asyncio.sleep(0.05)
    assert log == ["b1"], "b must not wait for a's slow job"
    release.set()
    await lanes.join()
    assert log == ["b1", "a1", "a2"]
    assert lanes.busy == 0


async def test_a_failing_job_does_not_stop_the_lane() -> None:
    lanes = UserLanes("test", max_pending=2)
    done: list[int] = []

    async def boom() -> None:
        raise RuntimeError("send failed")

    async def ok() -> None:
        done.append(1)

    assert lanes.submit("u", boom)
    assert lanes.submit("u", ok)
    assert not lanes.submit("u", ok), "a full lane refuses more work"
    await lanes.join()
    assert done == [1]


def test_api_client_uses_the_configured_base_url() -> None:
    with FakeWeChatAPI("wx-unit", "s3cret") as api:
        client = ApiClient("wx-unit", "s3cret", base_url=api.base_url, timeout=5)
        media = api.add_media(b"\x89PNG fake", "image/png")
        res = client.media.download(media)
        assert res.content == b"\x89PNG fake"
        client.message.send_text(USER, "您好")
        assert api.texts_to(USER) == ["您好"]
        assert api.token_requests == 1
        install("wx-unit", "s3cret", api.base_url)
        (menu,) = api.sent("menu/create")
        assert [b["name"] for b in menu.body["button"]] == ["我要举报", "查询进度", "举报须知"]


def test_api_client_reports_refused_credentials() -> None:
    from wechatpy.exceptions import WeChatClientException

    with FakeWeChatAPI("wx-unit", "right") as api:
        client = ApiClient("wx-unit", "wrong", base_url=api.base_url, timeout=5)
        with pytest.raises(WeChatClientException):
            client.message.send_text(USER, "hi")
        assert api.texts_to(USER) == []
