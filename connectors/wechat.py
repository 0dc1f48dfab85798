"""WeChat official account (公众号) channel for the Rasa server: `/webhooks/wechat/webhook`.

Configured in the credentials file under `connectors.wechat.WeChatInput` (bot.ops.stack writes it when
WECHAT_TOKEN is set; see docs/wechat.md). WeChat wants an answer within 5 seconds and retries up
to 3 times with the same MsgId, so the webhook only checks, decrypts, parses, de-duplicates and
records the message (connectors/wechat_inbox.py: a Redis Stream shared by the Rasa servers, so
that a message whose server dies during its turn is run by another), answers "success" at once,
and runs the bot turn in the background, one message at a time per citizen. What a request must be to be believed (a fresh signed URL used once, an encrypted body
in safe mode, an openid as sender) is in connectors/wechat_guard.py. The bot's replies go out as
customer-service messages (connectors/wechat_outbound.py), and only once the turn is saved: a
turn the tracker store could not save is answered with `guard.not_saved` instead. Photos, videos
and voice notes are kept as evidence (connectors/wechat_evidence.py). `/webhooks/wechat/notify`
lets the app push status updates.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.messages import BaseMessage

from bot import datafiles, texts
from connectors.turn_ids import replies_to
from connectors.wechat_config import WeChatConfig, area_resolver
from connectors.wechat_evidence import EvidenceKeeper
from connectors.wechat_guard import (
    REPLAY_TTL_S,
    Refused,
    check_body_mode,
    check_sender,
    check_signed_url,
    install_redaction,
)
from connectors.wechat_inbox import Entry, inbox
from connectors.wechat_outbound import Outbound
from connectors.wechat_state import DEDUPE_TTL_S, StateUnavailable, channel_state
from connectors.wechat_support import (
    ApiClient,
    Inbound,
    UserLanes,
    answer_from_menu,
    dedupe_key,
    mask_user,
    render_buttons,
    translate,
)

logger = logging.getLogger(__name__)

#: Rasa's handler of a new user message (an async function).
OnNewMessage = Callable[[UserMessage], Coroutine[Any, Any, Any]]

#: WeChat's own messages are a few hundred bytes; anything this big is not from WeChat.
MAX_BODY_BYTES = 64 * 1024

__all__ = ["WeChatConfig", "WeChatInput", "WeChatOutput"]


class WeChatOutput(OutputChannel):
    """Sends the bot's messages as customer-service messages, in order, through the channel.

    During a citizen's turn (`held` is a list) nothing goes out yet: the messages, and the menu
    they show, wait in `held` until the turn is saved (`release`). Outside a turn (Rasa's HTTP
    API) they are sent at once.
    """

    def __init__(self, channel: WeChatInput, held: list[Callable[[], None]] | None = None) -> None:
        self.channel = channel
        self.held = held

    @classmethod
    def name(cls) -> str:
        return "wechat"

    def _do(self, action: Callable[[], None]) -> None:
        if self.held is None:
            action()
        else:
            self.held.append(action)

    def release(self) -> None:
        """Sends what the turn said (it is saved)."""
        held, self.held = self.held or [], None
        for action in held:
            action()

    def _queue(self, recipient_id: str, text: str) -> None:
        self._do(lambda: self.channel.outbound.queue_reply(recipient_id, text))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._queue(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        rendered, payloads = render_buttons(text, buttons)

        def show() -> None:
            with contextlib.suppress(StateUnavailable):  # the menu still shows; a bare
                self.channel.state.set_menu(recipient_id, payloads)  # number is then text
            self.channel.outbound.queue_reply(recipient_id, rendered)

        self._do(show)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self._queue(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        self._queue(recipient_id, attachment)

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        for element in elements or []:
            title = element.get("title") if isinstance(element, dict) else None
            if title:
                self._queue(recipient_id, str(title))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        logger.debug("custom json reply not supported on WeChat; skipped")


class WeChatInput(InputChannel):
    """The webhook WeChat calls, the background turn runner and the status-push endpoint."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        texts.check_all()  # a broken catalogue or data file stops the Rasa server at start-up
        datafiles.check_all()
        config = WeChatConfig.from_credentials(credentials or {})
        if not (config.token and config.app_id and config.secret):
            cls.raise_missing_credentials_exception()
        return cls(config)

    def __init__(self, config: WeChatConfig) -> None:
        self.config = config
        self.crypto = (
            WeChatCrypto(config.token, config.aes_key, config.app_id) if config.aes_key else None
        )
        #: MsgIds and signed URLs already claimed, the 48-hour window, unsubscribes, menus and
        #: the access token: in Redis when several servers share them (wechat_state.py).
        self.state = channel_state(config.redis_url)
        self.client = ApiClient(
            config.app_id,
            config.secret,
            base_url=config.api_base_url,
            timeout=config.api_timeout_s,
            session=self.state.session(),
        )
        self.turns = UserLanes("turn")
        #: Messages taken and not yet answered (wechat_inbox.py), where another server finds them.
        self.inbox = inbox(config.redis_url)
        self._on_new_message: OnNewMessage | None = None
        self._app: Any = None
        self.resolve_area = area_resolver()
        #: The loop that runs bot turns (the webhook, lanes and sending stay on Sanic's loop).
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self.stats = {
            "received": 0,
            "duplicates": 0,
            "replays": 0,
            "refused": 0,
            "state_unavailable": 0,
            "turns": 0,
            "redelivered": 0,
            "answered_again": 0,
            "not_saved": 0,
            "sent": 0,
            "send_failures": 0,
        }
        self.outbound = Outbound(config, self.client, self.stats, self.state)
        self.evidence = EvidenceKeeper(config, self.client)
        install_redaction()  # API URLs carry the access token: keep it out of every log line

    def get_output_channel(self) -> OutputChannel | None:
        return WeChatOutput(self)

    # -- the webhook ----------------------------------------------------------------------------
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint("wechat_webhook", __name__)
        self._on_new_message = on_new_message

        @bp.listener("after_server_start")
        async def start_inbox(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            """Runs the inbox's entries, this server's and those a dead server left."""
            self._app = app
            self.outbound.main_loop = asyncio.get_running_loop()
            self.inbox.start(self._take, self.outbound.main_loop)

        @bp.listener("before_server_stop")
        async def stop_inbox(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.inbox.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", **self.stats, "busy_users": self.turns.busy})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """WeChat's server check: echo `echostr` when the signature is right."""
            args = request.args
            try:
                check_signed_url(
                    self.config.token,
                    args.get("signature"),
                    args.get("timestamp"),
                    args.get("nonce"),
                )
            except Refused as exc:
                return response.text(exc.reason, status=exc.status)
            echostr = args.get("echostr") or ""
            if self.crypto and args.get("msg_signature"):
                try:
                    echostr = self.crypto.check_signature(
                        args.get("msg_signature"), args.get("timestamp"), args.get("nonce"), echostr
                    )
                except InvalidSignatureException:
                    return response.text("invalid signature", status=403)
            return response.text(str(echostr))

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                return await self._receive(request)
            except Refused as exc:
                self.stats["refused"] += 1
                logger.info("WeChat request refused: %s", exc.reason)
                return response.text(exc.reason, status=exc.status)
            except StateUnavailable as exc:
                # not handled, so not claimed: WeChat's retry (or the other server) handles it
                self.stats["state_unavailable"] += 1
                logger.error("WeChat message not handled: %s", exc)
                return response.text("temporarily unavailable", status=503)

        @bp.route("/notify", methods=["POST"])
        async def notify(request: Request) -> HTTPResponse:
            return await self.outbound.push(request)

        return bp

    async def _receive(self, request: Request) -> HTTPResponse:
        """Refused (wechat_guard) for what is not believed; "success" once a message is taken:
        in the inbox, where another server finds it if this one dies before answering it."""
        self.outbound.main_loop = asyncio.get_running_loop()
        args = request.args
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        url_key = check_signed_url(self.config.token, args.get("signature"), timestamp, nonce)
        if not self.state.claim(url_key, REPLAY_TTL_S):
            # the very same URL again: WeChat's retry, or a replay; either way handled already
            self.stats["replays"] += 1
            logger.info("signed URL used before: not handled again")
            return response.text("success")
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return response.text("message too large", status=400)
        xml: Any = body
        # Safe mode: only encrypted bodies (msg_signature covers the ciphertext; the URL
        # signature covers no body).
        check_body_mode(safe_mode=self.crypto is not None, encrypt_type=args.get("encrypt_type"))
        encrypted = self.crypto is not None
        if encrypted:
            assert self.crypto is not None
            try:
                xml = self.crypto.decrypt_message(body, args.get("msg_signature"), timestamp, nonce)
            except InvalidSignatureException:
                return response.text("invalid message signature", status=403)
            except Exception as exc:
                logger.warning("undecryptable WeChat message: %s", type(exc).__name__)
                return response.text("malformed encrypted message", status=400)
        try:
            msg = parse_message(xml)
        except Exception as exc:
            logger.warning("malformed WeChat XML: %s", type(exc).__name__)
            return response.text("malformed XML", status=400)
        if msg is None:
            return response.text("malformed message: no sender", status=400)
        check_sender(msg.source)

        self.stats["received"] += 1
        msg_key = dedupe_key(msg)
        if not self.state.claim(msg_key, DEDUPE_TTL_S):
            self.stats["duplicates"] += 1
            logger.info("retry of %s from %s ignored", dedupe_key(msg), mask_user(msg.source))
            return response.text("success")
        user = msg.source
        inbound = translate(msg, None)
        if inbound.kind == "unsubscribe":
            self.state.set_unsubscribed(user, True)
            logger.info("%s unsubscribed", mask_user(user))
            return response.text("success")
        if self.state.is_unsubscribed(user):
            self.state.set_unsubscribed(user, False)
        if inbound.kind != "ignored":
            self.state.saw(user, time.time())
        if inbound.immediate:
            return self._passive_reply(inbound.immediate, msg, timestamp, nonce, encrypted)
        if inbound.kind == "ignored" or (inbound.text is None and inbound.media_id is None):
            return response.text("success")
        text_xml = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else str(xml)
        try:
            self.inbox.add(text_xml, datetime.now(timezone.utc).isoformat())
        except StateUnavailable:
            # not taken: WeChat's retry must not be ignored as a duplicate
            with contextlib.suppress(StateUnavailable):
                self.state.release(msg_key)
            raise
        return response.text("success")

    def _passive_reply(
        self, text: str, msg: BaseMessage, timestamp: str | None, nonce: str | None, encrypted: bool
    ) -> HTTPResponse:
        """Static answers (welcome, unsupported type) go in the HTTP reply itself."""
        xml = create_reply(text, msg).render()
        if encrypted and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, nonce, timestamp)
        return response.text(xml, content_type="application/xml")

    # -- the bot turn (background, one at a time per citizen) --------------------------------------
    def _take(self, entry: Entry) -> None:
        """Queues an inbox entry's turn in its citizen's lane (on the webhook's loop)."""
        try:
            msg = parse_message(entry.xml)
            inbound = translate(msg, None)
            received_at = datetime.fromisoformat(entry.received_at)
        except Exception as exc:  # written by this channel: only a bug or a changed format
            logger.error("WeChat inbox entry %s unreadable: %s", entry.id, type(exc).__name__)
            self.inbox.done(entry.id)
            return
        if not self.turns.submit(msg.source, lambda: self._turn(entry, msg, inbound, received_at)):
            self.outbound.queue_reply(msg.source, texts.text("citizen", "wechat.busy"))
            self.inbox.done(entry.id)

    async def _turn(
        self, entry: Entry, msg: BaseMessage, inbound: Inbound, received_at: datetime
    ) -> None:
        """Runs the turn, then acknowledges the entry. The replies are handed on right before
        the acknowledgement, with no await between: if this server dies before it, no reply has
        left, and the server that runs the entry again sends them (`_answer_again`)."""
        try:
            if entry.redelivered:
                self.stats["redelivered"] += 1
                said = await self._said_before(msg)
                if said is not None:
                    self._answer_again(msg.source, said)
                    return
            await self._run_turn(msg, inbound, received_at)
        finally:
            self.inbox.done(entry.id)

    async def _said_before(self, msg: BaseMessage) -> list[dict[str, Any]] | None:
        """What the bot answered to `msg`, if a server saved its turn and died before
        acknowledging it (connectors/turn_ids.py); None when it must be run."""
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        if not msg.id or agent is None or agent.tracker_store is None:
            return None
        future = asyncio.run_coroutine_threadsafe(
            agent.tracker_store.retrieve(msg.source), self._turns_loop()
        )
        try:
            tracker = await asyncio.wrap_future(future)
        except Exception as exc:  # the turn itself then reports the store
            logger.warning("WeChat repeat check skipped: %s", type(exc).__name__)
            return None
        if tracker is None:
            return None
        return replies_to([e.as_dict() for e in tracker.events], f"wx-{msg.id}")

    def _answer_again(self, user: str, said: list[dict[str, Any]]) -> None:
        """Sends what the bot said in a turn whose server died before sending it."""
        self.stats["answered_again"] += 1
        logger.info("turn of %s answered from the conversation", mask_user(user))
        for message in said:
            text = str(message.get("text") or "")
            if message.get("buttons"):
                rendered, payloads = render_buttons(text, message["buttons"])
                with contextlib.suppress(StateUnavailable):
                    self.state.set_menu(user, payloads)
                self.outbound.queue_reply(user, rendered)
            elif text:
                self.outbound.queue_reply(user, text)

    async def _run_turn(self, msg: BaseMessage, inbound: Inbound, received_at: datetime) -> None:
        assert self._on_new_message is not None  # set with the blueprint
        user = msg.source
        if inbound.kind == "location" and self.resolve_area is not None:
            # The gazetteer loads on first use; keep it off the event loop.
            loop = asyncio.get_running_loop()
            inbound = await loop.run_in_executor(None, translate, msg, self.resolve_area)
        metadata: dict[str, Any] = {
            "wechat": {
                "msg_id": str(msg.id or ""),
                "msg_type": msg.type,
                "create_time": msg.time,
                "received_at": received_at.isoformat(),
            },
            **inbound.metadata,
        }
        if inbound.evidence_kind:
            evidence = await self.evidence.keep(msg, inbound, received_at)
            if evidence is None:
                names = texts.table("citizen", "wechat.media_names")
                kind = names.get(inbound.evidence_kind or "", names["file"])
                self.outbound.queue_reply(
                    user, texts.text("citizen", "wechat.media_failed", kind=kind)
                )
                return
            metadata["evidence"] = evidence
        output = WeChatOutput(self, held=[])
        if inbound.notice:  # goes with the turn's replies, so once
            await output.send_text_message(user, inbound.notice)
        text = inbound.text or ""
        # the menu goes when the turn is saved: a citizen told to resend means what they meant
        try:
            menu = self.state.menu(user)
        except StateUnavailable:
            menu = None  # the citizen's number is then read as text: the form asks again
        if menu and inbound.kind == "text":
            text = answer_from_menu(text, menu)
        self.stats["turns"] += 1
        message = UserMessage(
            text,
            output,
            user,
            input_channel=self.name(),
            message_id=f"wx-{msg.id}" if msg.id else None,
            metadata=metadata,
        )
        # Model inference is CPU work that would hold the Sanic loop for every turn in flight;
        # on its own loop it cannot delay WeChat's next webhook call past 5 s.
        future: concurrent.futures.Future[Any] = asyncio.run_coroutine_threadsafe(
            self._on_new_message(message), self._turns_loop()
        )
        try:
            await asyncio.wrap_future(future)
        except Exception as exc:
            # Rasa saves the tracker last: whatever failed, the turn is not saved, and what the
            # bot said in it must not reach the citizen as if it were.
            self.stats["not_saved"] += 1
            logger.error("turn of %s not saved: %s", mask_user(user), type(exc).__name__)
            self.outbound.queue_reply(user, texts.text("citizen", "guard.not_saved"))
            return
        if menu:
            with contextlib.suppress(StateUnavailable):
                self.state.drop_menu(user, menu)
        output.release()

    def _turns_loop(self) -> asyncio.AbstractEventLoop:
        if self._turn_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="wechat-turns", daemon=True).start()
            self._turn_loop = loop
        return self._turn_loop
