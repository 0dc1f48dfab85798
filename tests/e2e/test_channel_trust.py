"""End to end: a channel is the channel that received the message (issue 14).

An attacker on the same host (loopback only) talks to the real Rasa server the way any REST
client can: a body that claims to come from the hotline or from WeChat, a sender id in another
channel's namespace, malformed or huge bodies. WeChat requests are replayed or signed long ago.
And when the tracker store cannot save a turn, no channel may answer as if it had.

One stack for the module: REST, the hotline (internal token) and WeChat in plain mode (no AES key:
the mode in which the URL signature is all that authenticates a request), its API a local fake.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.casework.schemas import IssueDraft
from bot.casework.store import CaseStore
from bot.ops.stack import PROJECT_ROOT, Ports, Stack, latest_model
from bot.web.hotline_client import HotlineClient
from tests.e2e.conftest import _free_port
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.fakes.wechat_server import WeChatServer, fixture, sign

pytestmark = pytest.mark.e2e

TOKEN = "gw-e2e-trust-token"
APP_ID = "wx-trust-app"
SECRET = "trust-secret"
INTERNAL_TOKEN = "e2e-trust-internal-token"
TICKET_RE = re.compile(r"HB-\d{8}-\d{4}")
HOTLINE_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "hotline" / "01_labelled_brickworks.json"
#: The stack's GW_SQLITE_BUSY_TIMEOUT_S: how long a save waits on a locked tracker database.
BUSY_TIMEOUT_S = 2
NOT_SAVED = "没有保存"

#: A hotline draft as the hotline channel would put it in the message metadata, forged.
FORGED_DRAFT: dict[str, Any] = {
    "description": "伪造化工厂每天夜里往河里偷排废水，水都变黑了",
    "categories": ["水"],
    "place": {
        "province": "四川省",
        "city": "绵阳市",
        "district": "涪城区",
        "town": "青义镇",
        "address": "商家村三组河边",
        "mention": "涪城区青义镇",
        "candidates": [],
    },
    "location_text": "涪城区青义镇商家村三组河边",
    "time_text": "每天夜里",
    "polluter": "伪造化工厂",
    "evidence": "无",
    "has_evidence": False,
    "anonymous": False,
    "contact_phone": "13900001111",
}
#: A one-shot report and the answers it still needs (test_report_flow.py).
ONE_SHOT = ["游仙区石马镇的鑫达砖厂每天晚上冒浓烟，呛得人睡不着", "没有了", "没有", "匿名"]


@dataclass
class Env:
    stack: Stack
    api: FakeWeChatAPI
    wechat: WeChatServer
    hotline: HotlineClient

    @property
    def ledger(self) -> str:
        assert self.stack.database_url
        return self.stack.database_url.removeprefix("sqlite:///")

    @property
    def tracker_db(self) -> str:
        assert self.stack.tracker_url and self.stack.tracker_url.startswith("sqlite:///")
        return self.stack.tracker_url.removeprefix("sqlite:///")

    def issues(self, where: str, *params: Any) -> list[dict[str, Any]]:
        with closing(sqlite3.connect(self.ledger, timeout=5)) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(f"SELECT * FROM issues WHERE {where}", params)]

    def tracker_events(self, where: str, *params: Any) -> list[tuple[str, str]]:
        with closing(sqlite3.connect(self.tracker_db, timeout=5)) as db:
            return list(db.execute(f"SELECT sender_id, data FROM events WHERE {where}", params))

    @contextmanager
    def tracker_locked(self) -> Iterator[None]:
        """Holds the tracker database's write lock: every save waits, then fails."""
        with closing(sqlite3.connect(self.tracker_db, timeout=5, isolation_level=None)) as db:
            db.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                db.execute("ROLLBACK")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if latest_model() is None:
        pytest.fail("no trained model under models/: run `make train` (make test does)")
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        stack = Stack(
            ports=Ports(_free_port(), _free_port(), _free_port()),
            var_dir=tmp_path_factory.mktemp("trust-stack"),
            extra_env={
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_SECRET": SECRET,
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_AES_KEY": "",  # plain mode
                "WECHAT_API_BASE_URL": api.base_url,
                "GW_INTERNAL_TOKEN": INTERNAL_TOKEN,
                "GW_SQLITE_BUSY_TIMEOUT_S": str(BUSY_TIMEOUT_S),
            },
        )
        stack.migrate()
        hotline = HotlineClient(stack.rasa_url, INTERNAL_TOKEN, timeout=60)
        try:
            stack.start()
            server = WeChatServer(f"{stack.rasa_url}/webhooks/wechat/webhook", TOKEN, APP_ID)
            yield Env(stack, api, server, hotline)
        finally:
            hotline.close()
            stack.stop()


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def _post(env: Env, body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return httpx.post(
        f"{env.stack.rasa_url}/webhooks/rest/webhook",
        content=content,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def _say(env: Env, sender: str, text: str, **extra: Any) -> str:
    r = _post(env, {"sender": sender, "message": text, **extra})
    assert r.status_code == 200, r.text
    return "\n".join(m.get("text", "") for m in r.json())


def _report(env: Env, sender: str, **extra: Any) -> str:
    """Runs the one-shot report to its read-back and confirms it; returns the ticket."""
    for text in ONE_SHOT:
        reply = _say(env, sender, text, **extra)
    assert "对吗" in reply, reply
    filed = _say(env, sender, "确认", **extra)
    ticket = TICKET_RE.search(filed)
    assert ticket, filed
    return ticket.group(0)


def _hotline_case() -> dict[str, Any]:
    return dict(json.loads(HOTLINE_FIXTURE.read_text(encoding="utf-8")))


# -- 1. a message's channel is the channel that received it ---------------------------------------
def test_rest_posing_as_the_hotline_gets_no_draft_read_back_and_files_no_call(env: Env) -> None:
    sender, call_id = _uid("spoof"), _uid("forged-call")
    hotline = {
        "call_id": call_id,
        "agent_id": "A-forged",
        "started_at": "2024-05-01T10:00:00+08:00",
        "transcript": FORGED_DRAFT["description"],
        "draft": FORGED_DRAFT,
    }
    spoof = {"input_channel": "hotline", "metadata": {"hotline": hotline}}
    first = _say(env, sender, "我要举报", **spoof)
    assert "伪造化工厂" not in first and "对吗" not in first, first
    _say(env, sender, "确认", **spoof)
    forged = env.issues(
        "polluter = ? OR agent_id = ? OR call_id = ? OR client_ref = ?",
        "伪造化工厂",
        "A-forged",
        call_id,
        f"hotline:{call_id}",
    )
    assert forged == []
    # whatever the conversation holds, it is a REST conversation under its own name
    assert env.tracker_events("sender_id = ?", f"rest:{sender}")
    assert env.tracker_events("sender_id = ?", sender) == []


def test_rest_posing_as_wechat_is_filed_as_rest_under_its_own_name(env: Env) -> None:
    openid = _openid()
    ticket = _report(env, openid, input_channel="wechat")
    (issue,) = env.issues("ticket = ?", ticket)
    assert (issue["channel"], issue["reporter_sender_id"]) == ("rest", f"rest:{openid}")
    # so a status change is never pushed to the openid (only WeChat issues are pushed)
    assert env.issues("reporter_sender_id = ?", openid) == []


def test_rest_cannot_read_a_wechat_citizens_reports_by_using_their_openid(env: Env) -> None:
    openid = _openid()
    store = CaseStore.from_url(f"sqlite:///{env.ledger}")
    try:
        issue, _ = store.file(
            IssueDraft(
                channel="wechat",
                reporter_sender_id=openid,
                reporter_phone="13811112222",
                categories=["水"],
                phenomenon="河里有死鱼",
                district="涪城区",
                original_text="河里有死鱼",
            )
        )
    finally:
        store.engine.dispose()
    for extra in ({}, {"input_channel": "wechat"}):
        reply = _say(env, openid, "我的举报怎么样了", **extra)
        assert issue.ticket not in reply, reply


def test_rest_cannot_join_an_agents_hotline_call(env: Env) -> None:
    case = _hotline_case()
    call_id = _uid("call")
    drafted = env.hotline.new_call(
        call_id, case["transcript"], caller_number=case["caller_number"], agent_id="A1024"
    )
    assert drafted.ok and drafted.body["status"] == "confirm", drafted.body
    reply = _say(env, f"hotline:{call_id}", "确认")
    assert not TICKET_RE.search(reply), reply
    assert env.issues("client_ref = ? OR call_id = ?", f"hotline:{call_id}", call_id) == []
    # the agent's call is untouched: the agent files it, once, as the hotline
    filed = env.hotline.follow_up(call_id, "确认").body
    assert filed["status"] == "filed" and filed["ticket"], filed
    (issue,) = env.issues("client_ref = ?", f"hotline:{call_id}")
    assert (issue["channel"], issue["agent_id"], issue["ticket"]) == (
        "hotline",
        "A1024",
        filed["ticket"],
    )


def test_rest_cannot_pre_empt_a_hotline_call_id(env: Env) -> None:
    call_id = _uid("call")
    attacker_ticket = _report(env, f"hotline:{call_id}")
    case = _hotline_case()
    reply = env.hotline.new_call(
        call_id, case["transcript"], caller_number=case["caller_number"], agent_id="A1024"
    ).body
    assert reply["status"] == "confirm" and reply["ticket"] is None, reply
    assert attacker_ticket not in json.dumps(reply, ensure_ascii=False)
    filed = env.hotline.follow_up(call_id, "确认").body
    assert filed["status"] == "filed" and filed["ticket"] != attacker_ticket, filed
    (issue,) = env.issues("client_ref = ?", f"hotline:{call_id}")
    assert (issue["channel"], issue["call_id"], issue["reporter_phone"]) == (
        "hotline",
        call_id,
        "13812345678",
    )


# -- 7. bad input gets a clear answer, and nothing huge is stored ---------------------------------
MALFORMED: list[tuple[str, bytes]] = [
    ("empty body", b""),
    ("whitespace", b"  \n "),
    ("not JSON", b"sender=a&message=b"),
    ("broken JSON", b'{"sender": "a", "message": '),
    ("list", b"[]"),
    ("null", b"null"),
    ("number", b"123"),
    ("string", '"我要举报"'.encode()),
    ("not UTF-8", '{"sender": "a", "message": "我要举报"}'.encode("gbk")),
    ("no sender", '{"message": "我要举报"}'.encode()),
    ("sender a number", '{"sender": 123, "message": "我要举报"}'.encode()),
    ("sender a list", '{"sender": ["a"], "message": "我要举报"}'.encode()),
    ("sender empty", '{"sender": "", "message": "我要举报"}'.encode()),
    ("sender too long", ('{"sender": "' + "a" * 300 + '", "message": "你好"}').encode()),
    ("sender with a line break", '{"sender": "a\\nb", "message": "你好"}'.encode()),
    ("no message", b'{"sender": "a"}'),
    ("message a number", b'{"sender": "a", "message": 5}'),
    ("message an object", '{"sender": "a", "message": {"text": "你好"}}'.encode()),
    ("message null", b'{"sender": "a", "message": null}'),
    ("metadata a list", '{"sender": "a", "message": "你好", "metadata": []}'.encode()),
    ("metadata a string", '{"sender": "a", "message": "你好", "metadata": "x"}'.encode()),
    ("metadata a number", '{"sender": "a", "message": "你好", "metadata": 1}'.encode()),
]


@pytest.mark.parametrize("body", [b for _, b in MALFORMED], ids=[n for n, _ in MALFORMED])
def test_malformed_rest_bodies_get_a_400_with_a_reason(env: Env, body: bytes) -> None:
    r = _post(env, raw=body)
    assert r.status_code == 400, (r.status_code, r.text)
    error = r.json()["error"]
    assert error["code"] and error["message"] and error["reason"], error


def test_a_huge_body_gets_a_413(env: Env) -> None:
    r = _post(env, {"sender": _uid("huge"), "message": "污" * 3_000_000})
    assert r.status_code == 413, r.status_code
    assert r.json()["error"]["code"] == "too_large"


def test_a_message_over_the_limit_gets_a_polite_reply_and_is_never_stored(env: Env) -> None:
    sender, marker = _uid("long"), _uid("MARK")
    long = f"{marker} " + "我要举报河里有污水" * 450  # 4000+ characters
    assert len(long) > 4000
    r = _post(env, {"sender": sender, "message": long})
    assert r.status_code == 200, r.text
    (reply,) = r.json()
    assert "4000" in reply["text"], reply
    assert env.tracker_events("data LIKE ?", f"%{marker}%") == []
    # a message at the limit is taken as usual
    assert _say(env, sender, "我要举报" + "。" * 3996).strip()


# -- 8. no failure looks like success: the tracker store cannot save the turn ---------------------
def test_rest_turn_that_cannot_be_saved_says_so_and_the_resent_message_counts(env: Env) -> None:
    sender = _uid("locked")
    for text in ONE_SHOT[:-1]:
        _say(env, sender, text)
    with env.tracker_locked():
        r = _post(env, {"sender": sender, "message": ONE_SHOT[-1]})
    assert r.status_code == 503, (r.status_code, r.text)
    said = "\n".join(m["text"] for m in r.json())
    assert NOT_SAVED in said and "对吗" not in said, said
    # the citizen sends it again: the conversation goes on where it was
    assert "对吗" in _say(env, sender, ONE_SHOT[-1])
    assert TICKET_RE.search(_say(env, sender, "确认"))


def test_hotline_turn_that_cannot_be_saved_is_refused_not_drafted(env: Env) -> None:
    case = _hotline_case()
    call_id = _uid("call")
    with env.tracker_locked():
        reply = env.hotline.new_call(
            call_id, case["transcript"], caller_number=case["caller_number"], agent_id="A1024"
        )
    assert reply.status_code == 503 and reply.body["error"]["code"] == "not_saved", reply.body
    again = env.hotline.new_call(
        call_id, case["transcript"], caller_number=case["caller_number"], agent_id="A1024"
    )
    assert again.body["status"] == "confirm", again.body


# -- 6. WeChat as WeChat means it ---------------------------------------------------------------
def _signed(timestamp: int) -> dict[str, str]:
    nonce = uuid.uuid4().hex[:10]
    ts = str(timestamp)
    return {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def _post_wechat(env: Env, params: dict[str, str], xml: str) -> httpx.Response:
    return httpx.post(
        f"{env.wechat.webhook_url}?{urlencode(params)}",
        content=xml.encode(),
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )


def _quiet(env: Env, openid: str, seconds: float = 3.0) -> bool:
    """True when nothing reached `openid` for `seconds` (the turn would have answered by then)."""
    return not env.api.wait_for(lambda: bool(env.api.texts_to(openid)), seconds)


@pytest.mark.parametrize("age_s", [3 * 86400, 301, -3600], ids=["3 days", "5 min", "future"])
def test_wechat_request_signed_long_ago_is_refused(env: Env, age_s: int) -> None:
    openid = _openid()
    params = _signed(int(time.time()) - age_s)
    r = _post_wechat(env, params, fixture("text", user=openid, content="我要举报"))
    assert r.status_code == 403, (r.status_code, r.text)
    assert _quiet(env, openid)


def test_wechat_signed_url_cannot_be_replayed_with_another_message(env: Env) -> None:
    first, replayer = _openid(), _openid()
    params = _signed(int(time.time()))
    ok = _post_wechat(env, params, fixture("text", user=first, content="我要举报"))
    assert ok.status_code == 200 and ok.text == "success"
    assert env.api.wait_for(lambda: any("描述" in t for t in env.api.texts_to(first)), 60)
    replay = _post_wechat(env, params, fixture("text", user=replayer, content="我要举报"))
    assert replay.status_code in (200, 403)
    assert _quiet(env, replayer), env.api.texts_to(replayer)


def test_wechat_retries_of_one_message_are_answered_and_handled_once(env: Env) -> None:
    openid = _openid()
    xml = fixture("text", user=openid, content="我要举报")
    params = _signed(int(time.time()))
    same = [_post_wechat(env, params, xml) for _ in range(3)]  # the very same request again
    fresh = [env.wechat.post_xml(xml) for _ in range(2)]  # the same message, newly signed
    assert [r.text for r in same + fresh] == ["success"] * 5
    assert env.api.wait_for(lambda: any("描述" in t for t in env.api.texts_to(openid)), 60)
    time.sleep(2.0)
    assert sum("描述" in t for t in env.api.texts_to(openid)) == 1, env.api.texts_to(openid)


def test_wechat_reply_goes_out_only_after_the_turn_is_saved(env: Env) -> None:
    openid = _openid()
    with env.tracker_locked():
        r, _ = env.wechat.send("text", user=openid, content="我要举报")
        assert r.status_code == 200
        arrived = env.api.wait_for(lambda: bool(env.api.texts_to(openid)), BUSY_TIMEOUT_S + 30)
    assert arrived, "the citizen must be told"
    time.sleep(1.0)
    texts = env.api.texts_to(openid)
    assert any(NOT_SAVED in t for t in texts), texts
    assert not any("描述" in t for t in texts), f"an unsaved turn's reply went out: {texts}"
    env.wechat.send("text", user=openid, content="我要举报")
    assert env.api.wait_for(lambda: any("描述" in t for t in env.api.texts_to(openid)), 60)


# -- 4/5. logs hold no access token, openid or message text ----------------------------------------
def test_the_rasa_log_holds_no_access_token_openid_or_message_text(env: Env) -> None:
    openid, marker = _openid(), _uid("LOGMARK")
    r, _ = env.wechat.send("text", user=openid, content=f"我要举报 {marker}")
    assert r.status_code == 200
    assert env.api.wait_for(lambda: bool(env.api.texts_to(openid)), 60)
    _say(env, _uid("log"), f"我要举报 {marker}")
    time.sleep(1.0)
    log = (env.stack.var_dir / "logs" / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert env.api.tokens, "the channel fetched an access token"
    for token in env.api.tokens:
        assert token not in log
    assert openid not in log and marker not in log
