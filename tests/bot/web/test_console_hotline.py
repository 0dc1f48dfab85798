"""bot/web/console/hotline.py: the agent page needs an office session; the API proxies the channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from bot.web.hotline_client import HotlineClient, HotlineReply
from tests.console_login import login


@pytest.fixture
def app_client(store: CaseStore) -> Iterator[TestClient]:
    settings = Settings(timezone="Asia/Shanghai", rasa_url="http://127.0.0.1:9", internal_token="t")
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def test_page_needs_a_session(app_client: TestClient) -> None:
    r = app_client.get("/console/hotline", follow_redirects=False)
    assert r.status_code == 303 and "/console/login" in r.headers["location"]


def test_page_has_the_form_and_keyboard_help(app_client: TestClient, store: CaseStore) -> None:
    login(app_client, store, "office")
    page = app_client.get("/console/hotline")
    assert page.status_code == 200
    for text in ('id="transcript"', 'id="reply"', "Ctrl", "Alt", "hotline.js", 'data-csrf="'):
        assert text in page.text
    assert app_client.get("/console/static/hotline.js").status_code == 200


def test_department_staff_cannot_file(app_client: TestClient, store: CaseStore) -> None:
    csrf = login(app_client, store, "department", department="生态环境局")
    r = app_client.post(
        "/console/hotline/draft",
        data={"csrf_token": csrf, "call_id": "c1", "transcript": "来电人：冒黑烟。"},
    )
    assert r.status_code == 403


def test_draft_without_csrf_is_refused(app_client: TestClient, store: CaseStore) -> None:
    login(app_client, store, "office")
    r = app_client.post("/console/hotline/draft", data={"call_id": "c1", "transcript": "x"})
    assert r.status_code == 403


def test_unreachable_channel_is_a_503_with_a_reason(
    app_client: TestClient, store: CaseStore
) -> None:
    csrf = login(app_client, store, "office")
    r = app_client.post(
        "/console/hotline/draft",
        data={"csrf_token": csrf, "call_id": "c1", "transcript": "来电人：冒黑烟。"},
    )
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "unavailable"


def test_draft_forwards_the_agent_and_the_channel_answer(
    app_client: TestClient, store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []

    def fake_post(self: HotlineClient, payload: dict[str, Any]) -> HotlineReply:
        sent.append(payload)
        assert self.token == "t" and self.url.endswith("/webhooks/hotline/webhook")
        return HotlineReply(400, {"error": {"code": "empty", "message": "转写内容为空"}})

    monkeypatch.setattr(HotlineClient, "post", fake_post)
    csrf = login(app_client, store, "office", name="王坐席")
    r = app_client.post(
        "/console/hotline/draft",
        data={
            "csrf_token": csrf,
            "call_id": " c-9 ",
            "transcript": "  ",
            "caller_number": "13812345678",
            "started_at": "2026-11-23T21:05",
        },
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "empty"
    assert sent[0]["call_id"] == "c-9" and sent[0]["agent_id"].startswith("office-")
    assert sent[0]["caller_number"] == "13812345678" and sent[0]["force_report"] is False


def test_client_reports_an_unreachable_channel() -> None:
    from bot.web.hotline_client import HotlineUnavailable

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = HotlineClient(
        "http://x", "t", client=httpx.Client(transport=httpx.MockTransport(refuse))
    )
    with pytest.raises(HotlineUnavailable):
        client.follow_up("c1", "确认")


def test_a_follow_up_is_sent_again_with_the_same_turn_id_when_a_server_died() -> None:
    """Issue 17: the channel answers a turn it has seen from the conversation, so the client may
    resend it (once) when the Rasa server behind the balancer died under it."""
    seen: list[dict[str, object]] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        if len(seen) == 1:
            return httpx.Response(503, json={"error": {"code": "busy"}})
        return httpx.Response(200, json={"status": "filed", "ticket": "HB-20261203-0001"})

    client = HotlineClient(
        "http://x", "t", client=httpx.Client(transport=httpx.MockTransport(flaky))
    )
    reply = client.follow_up("c1", "确认")
    assert reply.ok and reply.body["ticket"] == "HB-20261203-0001"
    assert len(seen) == 2 and seen[0] == seen[1]
    assert isinstance(seen[0]["turn_id"], str) and len(seen[0]["turn_id"]) >= 16
