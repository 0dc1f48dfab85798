"""POST /internal/drafts: the app drafts calls for the Rasa server's hotline channel, which runs
none of our extraction (bot/web/drafts.py, bot/calls.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.calls import MAX_TRANSCRIPT_CHARS, DraftWire, WireError
from bot.casework.store import CaseStore
from bot.config import TOKEN_HEADER, Settings
from bot.web.app import create_app

TOKEN = "drafts-test-token-7d1c"
CALL = (
    "话务员：您好，12345热线。\n"
    "来电人：我住在涪城区青义镇，旁边的宏达塑料厂每天晚上烧塑料，黑烟很呛。\n"
    "话务员：好的，您贵姓？\n"
    "来电人：我姓周，电话是一三九 一二三四 五六七八。\n"
)


@pytest.fixture
def client(store: CaseStore) -> Iterator[TestClient]:
    settings = Settings(internal_token=SecretStr(TOKEN), timezone="Asia/Shanghai")
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def _post(client: TestClient, body: Any, token: str | None = TOKEN) -> Any:
    headers = {TOKEN_HEADER: token} if token else {}
    return client.post("/internal/drafts", json=body, headers=headers)


def test_a_call_is_drafted_with_its_sources_and_read_back_by_the_channel(
    client: TestClient,
) -> None:
    r = _post(client, {"transcript": CALL, "caller_number": "13900001111"})
    assert r.status_code == 200, r.text
    wire = DraftWire.from_json(r.json())
    assert wire.shape == "labelled"
    assert wire.transfer is None
    assert wire.slot_values["place"]["district"] == "涪城区"
    assert "大气" in "".join(wire.slot_values["categories"])
    assert wire.slot_values["polluter"] == "宏达塑料厂"
    assert {"description", "categories", "polluter"} <= set(wire.fields)
    polluter_sources = wire.sources["polluter"]
    assert any("宏达塑料厂" in s["sentence"] for s in polluter_sources)
    assert "话务员" not in wire.complaint


def test_a_call_that_is_not_ours_comes_back_with_the_transfer_reason(client: TestClient) -> None:
    call = "来电人：我们公司老板拖欠了三个月工资，一直不发，我想投诉他。"
    r = _post(client, {"transcript": call})
    assert r.status_code == 200, r.text
    assert DraftWire.from_json(r.json()).transfer


@pytest.mark.parametrize(
    ("token", "status"), [(None, 403), ("wrong-token", 403), (TOKEN + "x", 403)]
)
def test_drafting_needs_the_internal_token(
    client: TestClient, token: str | None, status: int
) -> None:
    assert _post(client, {"transcript": CALL}, token=token).status_code == status


def test_drafting_is_refused_while_no_token_is_configured(store: CaseStore) -> None:
    with TestClient(create_app(store=store, settings=Settings())) as c:
        assert c.post("/internal/drafts", json={"transcript": CALL}).status_code == 503


@pytest.mark.parametrize(
    ("transcript", "code"),
    [
        ("   ", "empty"),
        ("hello, this is not Chinese at all", "not_chinese"),
        ("来电\x00\x01", "binary"),
    ],
)
def test_an_unreadable_transcript_gets_the_agents_reason(
    client: TestClient, transcript: str, code: str
) -> None:
    r = _post(client, {"transcript": transcript})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["code"] == code
    assert detail["message"]  # the agent's reason, in Chinese


@pytest.mark.parametrize(
    "body",
    [
        {"transcript": "来电人：" + "工厂冒黑烟。" * (MAX_TRANSCRIPT_CHARS // 6 + 1)},
        {"transcript": 42},
        {"caller_number": "139"},
        ["not", "an", "object"],
    ],
)
def test_malformed_requests_are_4xx(client: TestClient, body: Any) -> None:
    assert _post(client, body).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"shape": "labelled"},
        {"shape": 1, "complaint": "", "fields": [], "slot_values": {}},
        {"shape": "x", "complaint": "", "fields": "description", "slot_values": {}},
        {"shape": "x", "complaint": "", "fields": [], "slot_values": [], "sources": {}},
        {"shape": "x", "complaint": "", "fields": [], "slot_values": {}, "transfer": 3},
        {"shape": "x", "complaint": "", "fields": [], "slot_values": {}, "warnings": ["w"]},
    ],
)
def test_the_channel_refuses_an_answer_it_did_not_expect(body: Any) -> None:
    with pytest.raises(WireError):
        DraftWire.from_json(body)
