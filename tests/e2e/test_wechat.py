"""End to end: WeChat's server posts signed (and AES-encrypted) XML to the real Rasa server.

A stack (Rasa server with the WeChat channel, action server, app) is started with its API base
URL pointed at a local fake of the WeChat API (tests/fakes/wechat_api.py), which records what
the channel sends back: customer-service messages, template messages.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.casework.notify import Notifier
from bot.casework.schemas import IssueDraft
from bot.casework.store import CaseStore
from bot.ops.stack import Ports, Stack, latest_model
from tests.e2e.conftest import _free_port
from tests.factories import quiet_work
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.fakes.wechat_server import WeChatServer, fixture, sign

pytestmark = pytest.mark.e2e

TOKEN = "gw-e2e-wechat-token"
APP_ID = "wx-test-app"
SECRET = "test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
INTERNAL_TOKEN = "e2e-internal-token"
TEMPLATE_ID = "tpl-status-update"
TICKET_RE = re.compile(r"HB-\d{8}-\d{4}")
PHOTO = b"\xff\xd8\xff\xe0" + b"GreenWhistle e2e photo of black smoke " * 200


@dataclass
class WeChatEnv:
    stack: Stack
    api: FakeWeChatAPI
    server: WeChatServer

    @property
    def db_path(self) -> str:
        assert self.stack.database_url
        return self.stack.database_url.removeprefix("sqlite:///")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.db_path, timeout=5)) as conn:
            return list(conn.execute(sql, params))

    def store(self) -> CaseStore:
        assert self.stack.database_url
        return CaseStore.from_url(self.stack.database_url)

    def notifier(self, store: CaseStore) -> Notifier:
        return Notifier(
            store,
            rasa_url=self.stack.rasa_url,
            token=INTERNAL_TOKEN,
            backoff_s=(0.2, 0.4, 0.8),
            poll_s=0.2,
        )


@pytest.fixture(scope="module")
def wechat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeChatEnv]:
    if latest_model() is None:
        pytest.fail("no trained model under models/: run `make train` (make test does)")
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        stack = Stack(
            ports=Ports(_free_port(), _free_port(), _free_port()),
            var_dir=tmp_path_factory.mktemp("wechat-stack"),
            extra_env={
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_SECRET": SECRET,
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_AES_KEY": AES_KEY,
                "WECHAT_API_BASE_URL": api.base_url,
                "WECHAT_TEMPLATE_ID": TEMPLATE_ID,
                "GW_INTERNAL_TOKEN": INTERNAL_TOKEN,
                "GW_SQLITE_BUSY_TIMEOUT_S": "2",
            },
        )
        stack.migrate()
        try:
            stack.start()
            server = WeChatServer(
                f"{stack.rasa_url}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY
            )
            yield WeChatEnv(stack, api, server)
        finally:
            stack.stop()


class Citizen:
    """One WeChat user: posts messages as WeChat does and reads what reached the fake API."""

    def __init__(self, env: WeChatEnv, encrypt: bool = True) -> None:
        self.env = env
        self.openid = f"o-{uuid.uuid4().hex[:20]}"
        self.encrypt = encrypt
        self.seen = 0
        self.log: list[tuple[str, str]] = []

    def post(self, name: str, **values: Any) -> tuple[httpx.Response, str]:
        started = time.monotonic()
        r, xml = self.env.server.send(name, encrypt=self.encrypt, user=self.openid, **values)
        elapsed = time.monotonic() - started
        assert r.status_code == 200, r.text
        assert elapsed < 2.0, f"WeChat must be answered at once, took {elapsed:.2f}s"
        return r, xml

    def replies(self, expect: str, timeout: float = 60.0) -> str:
        """New messages until one contains `expect`; returns them joined."""
        api = self.env.api

        def arrived() -> bool:
            return any(expect in t for t in api.texts_to(self.openid)[self.seen :])

        if not api.wait_for(arrived, timeout):
            raise AssertionError(
                f"no reply containing {expect!r}; transcript:\n{self.transcript()}"
                f"\nnew: {api.texts_to(self.openid)[self.seen :]}"
            )
        time.sleep(0.3)  # the rest of the same turn
        new = api.texts_to(self.openid)[self.seen :]
        self.seen += len(new)
        joined = "\n".join(new)
        self.log.append(("", joined))
        return joined

    def say(self, text: str, expect: str) -> str:
        self.post("text", content=text)
        self.log.append((text, ""))
        return self.replies(expect)

    def transcript(self) -> str:
        return "\n".join(f"> {u}" if u else b for u, b in self.log)


def _evidence(env: WeChatEnv, ticket: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{env.stack.app_url}/internal/channels/evidence/{ticket}",
        headers={"X-GW-Token": INTERNAL_TOKEN},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return list(r.json())


# -- verification and bad input -------------------------------------------------------------------
def test_server_verification(wechat: WeChatEnv) -> None:
    url = wechat.server.webhook_url
    params = wechat.server.query(extra={"echostr": "echo-12345"})
    ok = httpx.get(url, params=params, timeout=10)
    assert ok.status_code == 200 and ok.text == "echo-12345"
    bad = httpx.get(url, params={**params, "signature": "f" * 40}, timeout=10)
    assert bad.status_code == 403
    assert httpx.get(url, params={"echostr": "x"}, timeout=10).status_code == 403


def test_bad_input_is_refused_and_nothing_is_processed(wechat: WeChatEnv) -> None:
    srv, api = wechat.server, wechat.api
    user = f"o-bad-{uuid.uuid4().hex[:8]}"
    forged = srv.post_xml(fixture("text", user=user, content="我要举报"), bad_signature=True)
    assert forged.status_code == 403
    malformed = srv.post_xml(fixture("malformed"))
    assert malformed.status_code == 400
    huge = fixture("text", user=user, content="污水" * 40000)
    assert srv.post_xml(huge).status_code == 400
    no_sender = srv.post_xml("<xml><MsgType>text</MsgType><Content>hi</Content></xml>")
    assert no_sender.status_code == 400
    not_xml = srv.post_xml('{"json": true}')
    assert not_xml.status_code == 400
    # An encrypted body whose msg_signature does not match is refused as forged.
    params = srv.query()
    body = srv.body(fixture("text", user=user, content="你好"), params, encrypt=True)
    params["msg_signature"] = "0" * 40
    r = httpx.post(srv.webhook_url, params=params, content=body, timeout=10)
    assert r.status_code == 403
    # Garbage where the ciphertext should be: 400, and the server keeps going.
    params = srv.query(extra={"encrypt_type": "aes", "msg_signature": "0" * 40})
    r = httpx.post(srv.webhook_url, params=params, content=b"<xml><Encrypt>@@@", timeout=10)
    assert r.status_code in (400, 403)
    time.sleep(1.5)
    assert api.texts_to(user) == [], "nothing may be processed from refused input"
    assert httpx.get(f"{wechat.stack.rasa_url}/webhooks/wechat/", timeout=10).status_code == 200


def test_safe_mode_refuses_plaintext_bodies(wechat: WeChatEnv) -> None:
    """The URL signature does not cover the body: with an AES key set, only an encrypted body
    (its msg_signature covers the ciphertext) is believed. Plain mode: test_channel_trust.py."""
    user = f"o-plain-{uuid.uuid4().hex[:8]}"
    plain = wechat.server.post_xml(fixture("text", user=user, content="我要举报"))
    assert plain.status_code == 400 and "safe mode" in plain.text
    time.sleep(1.5)
    assert wechat.api.texts_to(user) == [], "a plaintext body must not be handled in safe mode"
    # the same message encrypted is taken
    r, _ = wechat.server.send("text", encrypt=True, user=user, content="我要举报")
    assert r.status_code == 200 and r.text == "success"
    assert wechat.api.wait_for(lambda: any("描述" in t for t in wechat.api.texts_to(user)), 60)


def test_unknown_message_type_gets_a_polite_reply(wechat: WeChatEnv) -> None:
    user = f"o-unknown-{uuid.uuid4().hex[:8]}"
    r = wechat.server.post_xml(fixture("unknown", user=user), encrypt=True)
    assert r.status_code == 200
    assert "暂时无法处理" in wechat.server.decrypt_reply(r.text)


# -- events ----------------------------------------------------------------------------------------
def test_subscribe_welcome_encrypted_and_menu_click(wechat: WeChatEnv) -> None:
    citizen = Citizen(wechat)
    r, _ = citizen.post("event_subscribe")
    reply = wechat.server.decrypt_reply(r.text)
    assert "欢迎关注" in reply and "查询" in reply
    citizen.post("event_click", key="GW_GUIDE")
    assert "可以举报的生态环境问题" in citizen.replies("可以举报")
    citizen.post("event_click", key="GW_REPORT")
    assert "描述" in citizen.replies("描述")
    r, _ = citizen.post("event_unsubscribe")
    assert r.text == "success"


# -- the 5-second rule, retries, ordering --------------------------------------------------------
def test_retry_while_processing_is_handled_once(wechat: WeChatEnv) -> None:
    citizen = Citizen(wechat)
    xml = fixture("text", user=citizen.openid, content="你好")
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(wechat.server.post_xml(xml, encrypt=True))

    threads = [threading.Thread(target=post) for _ in range(4)]  # the first try and 3 retries
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert [a.text for a in answers] == ["success"] * 4
    citizen.replies("绿哨")
    time.sleep(2.0)
    greetings = [t for t in wechat.api.texts_to(citizen.openid) if "绿哨" in t]
    assert len(greetings) == 1, greetings


def test_failed_sends_are_retried_and_replies_keep_their_order(wechat: WeChatEnv) -> None:
    citizen = Citizen(wechat)
    wechat.api.fail("message/custom/send", times=2)
    citizen.post("text", content="我要举报")
    citizen.post("text", content="有个厂在冒黑烟，味道呛得很")
    citizen.post("text", content="没有了")
    citizen.post("text", content="涪城区青义镇商家村三组")
    replies = citizen.replies("什么时候")
    texts = wechat.api.texts_to(citizen.openid)
    first_describe = next(i for i, t in enumerate(texts) if "描述" in t)
    first_where = next(i for i, t in enumerate(texts) if "哪里" in t)
    first_when = next(i for i, t in enumerate(texts) if "什么时候" in t)
    assert first_describe < first_where < first_when, texts
    assert len(texts) == len(set(texts)), f"a reply was sent twice: {texts}"
    assert "什么时候" in replies


def test_voice_with_and_without_recognition(wechat: WeChatEnv) -> None:
    citizen = Citizen(wechat)
    media = wechat.api.add_media(b"#!AMR\n" + b"\x00voice" * 300, "audio/amr")
    citizen.post("voice", media_id=media, recognition="我要举报")
    assert "描述" in citizen.replies("描述")
    silent = wechat.api.add_media(b"#!AMR\n" + b"\x01quiet" * 300, "audio/amr")
    _, xml = citizen.post("voice", media_id=silent, recognition="")
    reply = citizen.replies("没能识别")
    assert "证据" in reply
    msg_id = re.search(r"<MsgId>(\d+)</MsgId>", xml)
    assert msg_id
    rows = wechat.query("SELECT kind, sha256, size FROM evidence WHERE msg_id = ?", msg_id.group(1))
    data = b"#!AMR\n" + b"\x01quiet" * 300
    assert rows == [("voice", hashlib.sha256(data).hexdigest(), len(data))]


def test_a_pin_outside_the_city_is_said_so_and_a_pin_inside_decides_the_county(
    wechat: WeChatEnv,
) -> None:
    """Point-in-polygon on the real boundary files, in the action server: a pin in 德阳 is not
    kept (the citizen is told, politely, and asked again); a pin without a label in 游仙区 gets
    its county from the coordinates alone."""
    citizen = Citizen(wechat)
    assert "描述" in citizen.say("我要举报", "描述")
    assert "还有什么问题" in citizen.say("有个厂在冒黑烟，味道呛得很", "还有什么问题")
    assert "哪里" in citizen.say("没有了", "哪里")
    citizen.post("location", lat="31.130000", lng="104.400000", label="四川省德阳市旌阳区某某路")
    told = citizen.replies("不在绵阳市范围内")
    assert "四川省德阳市旌阳区" in told and "12345" in told, citizen.transcript()
    if "哪里" not in told:
        citizen.replies("哪里")  # the place question again
    citizen.post("location", lat="31.532800", lng="104.889460", label="")
    assert "什么时候" in citizen.replies("什么时候"), citizen.transcript()
    assert "哪家单位" in citizen.say("每天晚上", "哪家单位")
    assert "证据" in citizen.say("不清楚", "证据")
    assert "手机" in citizen.say("没有", "手机")
    summary = citizen.say("匿名", "对吗")
    assert "游仙区" in summary and "德阳" not in summary, summary


# -- a whole report from WeChat, and the status update back ------------------------------------
def test_report_with_photo_and_pin_then_status_pushed_back(wechat: WeChatEnv) -> None:
    citizen = Citizen(wechat)
    assert "描述" in citizen.say("我要举报", "描述")
    assert "还有什么问题" in citizen.say("有个厂在冒黑烟，味道呛得很", "还有什么问题")
    assert "哪里" in citizen.say("没有了", "哪里")
    citizen.post(
        "location", lat="31.512345", lng="104.712345", label="四川省绵阳市涪城区青义镇商家村"
    )
    assert "什么时候" in citizen.replies("什么时候"), citizen.transcript()
    assert "哪家单位" in citizen.say("每天晚上十点以后", "哪家单位")
    evidence_q = citizen.say("不清楚", "证据")
    assert "1. 有" in evidence_q and "回复序号" in evidence_q, evidence_q

    media = wechat.api.add_media(PHOTO, "image/jpeg")
    _, xml = citizen.post("image", media_id=media)
    retry = wechat.server.post_xml(xml, encrypt=True)  # WeChat retries while we are busy
    assert retry.status_code == 200 and retry.text == "success"
    contact_q = citizen.replies("手机")
    assert "匿名" in contact_q
    summary = citizen.say("1", "对吗")  # 1 = the first button: 匿名举报
    assert "青义镇" in summary and "匿名" in summary and "已发送照片" in summary, summary
    filed = citizen.say("1", "编号")  # 1 = 确认提交
    ticket = TICKET_RE.search(filed)
    assert ticket, filed
    ticket_no = ticket.group(0)
    time.sleep(1.0)
    assert sum("手机" in t for t in wechat.api.texts_to(citizen.openid)) == 1, (
        "the retried photo must not be handled twice"
    )

    files = _evidence(wechat, ticket_no)
    assert len(files) == 1, files
    assert files[0]["kind"] == "image" and files[0]["content_type"] == "image/jpeg"
    assert files[0]["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert files[0]["size"] == len(PHOTO)
    stored = Path(wechat.stack.var_dir) / "evidence" / files[0]["sha256"][:2] / files[0]["sha256"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == files[0]["sha256"]

    ((lat, lng, district, town, has_evidence, channel, sender),) = wechat.query(
        "SELECT latitude, longitude, district, town, has_evidence, channel, reporter_sender_id"
        " FROM issues WHERE ticket = ?",
        ticket_no,
    )
    assert (lat, lng) == pytest.approx((31.512345, 104.712345))
    assert (district, town) == ("涪城区", "青义镇")
    assert has_evidence == 1 and channel == "wechat" and sender == citizen.openid

    # A status change is pushed back as a customer-service message (the citizen wrote recently).
    store = wechat.store()
    notifier = wechat.notifier(store)
    try:
        before = len(wechat.api.texts_to(citizen.openid))
        issue = quiet_work(store).change_status(ticket_no, "accepted", actor="staff:e2e")
        notifier.status_changed(issue, issue.events[-1])
        pushed = citizen.replies("已受理", timeout=30)
        assert ticket_no in pushed, pushed
        assert len(wechat.api.texts_to(citizen.openid)) == before + 1
        assert wechat.api.wait_for(
            lambda: (
                wechat.query("SELECT state, via FROM notifications WHERE ticket = ?", ticket_no)
                == [("sent", "customer_service")]
            ),
            10,
        )
    finally:
        notifier.stop()
        store.engine.dispose()


def test_status_push_outside_the_window_uses_a_template_and_failures_are_recorded(
    wechat: WeChatEnv,
) -> None:
    store = wechat.store()
    notifier = wechat.notifier(store)
    stranger = f"o-silent-{uuid.uuid4().hex[:8]}"  # never wrote: no customer-service window
    try:
        issue, _ = store.file(
            IssueDraft(
                channel="wechat",
                reporter_sender_id=stranger,
                anonymous=True,
                categories=["水"],
                phenomenon="河里有死鱼",
                district="涪城区",
                original_text="河里有死鱼",
            )
        )
        # The first template send fails (WeChat busy): retried with backoff, then delivered.
        wechat.api.fail("message/template/send", times=1, status=500)
        changed = quiet_work(store).change_status(issue.ticket, "accepted", actor="staff:e2e")
        notifier.status_changed(changed, changed.events[-1])
        assert wechat.api.wait_for(
            lambda: bool(wechat.api.sent("message/template/send", stranger)), 20
        )
        sent = wechat.api.sent("message/template/send", stranger)
        assert len(sent) == 1
        assert sent[0].body["template_id"] == TEMPLATE_ID
        assert sent[0].body["data"]["keyword1"]["value"] == issue.ticket
        assert sent[0].body["data"]["keyword2"]["value"] == "已受理"
        assert wechat.api.texts_to(stranger) == []
        assert wechat.api.wait_for(
            lambda: (
                wechat.query(
                    "SELECT state, via, attempts FROM notifications WHERE ticket = ?", issue.ticket
                )
                == [("sent", "template", 2)]
            ),
            10,
        )

        # The citizen unsubscribed (43004): no retry helps; the issue records it as undelivered.
        wechat.api.fail("message/template/send", times=1, errcode=43004)
        changed = quiet_work(store).route(
            issue.ticket, department="生态环境局", district="涪城区", actor="staff:e2e"
        )
        notifier.status_changed(changed, changed.events[-1])
        assert wechat.api.wait_for(
            lambda: (
                wechat.query(
                    "SELECT state, attempts FROM notifications WHERE ticket = ? AND to_status = 'routed'",
                    issue.ticket,
                )
                == [("undelivered", 1)]
            ),
            20,
        )
        ((error,),) = wechat.query(
            "SELECT last_error FROM notifications WHERE ticket = ? AND to_status = 'routed'",
            issue.ticket,
        )
        assert "43004" in error
    finally:
        notifier.stop()
        store.engine.dispose()


def test_link_message_is_kept_as_evidence(wechat: WeChatEnv) -> None:
    citizen = Citizen(wechat)
    citizen.say("我要举报", "描述")
    _, xml = citizen.post("link", title="曝光：某厂夜间偷排", url="https://example.org/v/1")
    citizen.replies("描述")  # a link does not describe the problem: asked again
    msg_id = re.search(r"<MsgId>(\d+)</MsgId>", xml)
    assert msg_id
    rows = wechat.query(
        "SELECT kind, content_type, note FROM evidence WHERE msg_id = ?", msg_id.group(1)
    )
    assert len(rows) == 1 and rows[0][0] == "link" and "example.org" in rows[0][2]


def test_signature_helper_matches_wechatpy() -> None:
    """The test's own signing agrees with wechatpy's check (so a 403 above means the channel)."""
    from wechatpy.utils import check_signature

    check_signature(TOKEN, sign(TOKEN, "1700000000", "abc"), "1700000000", "abc")
