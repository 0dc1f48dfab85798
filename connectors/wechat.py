"""WeChat official account (公众号) channel for the Rasa server: `/webhooks/wechat/webhook`.

Configured in the credentials file under `connectors.wechat.WeChatInput` (bot.ops.stack writes it when
WECHAT_TOKEN is set; see docs/wechat.md). WeChat wants an answer within 5 seconds and retries up
to 3 times with the same MsgId, so the webhook only checks, decrypts, parses and de-duplicates,
answers "success" at once, and runs the bot turn in the background, one message at a time per
citizen. The bot's replies go out as customer-service messages; photos, videos and voice notes
are downloaded at once (media ids expire in 3 days) and handed to the app as evidence over HTTP
(this process never touches the case store). `/webhooks/wechat/notify` lets the app push status
updates: customer-service message within 48 h of the citizen's last message, else a template.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.messages import BaseMessage
from wechatpy.utils import check_signature

from connectors.wechat_support import (
    DEFAULT_API_BASE_URL,
    SERVICE_WINDOW_S,
    ApiClient,
    Inbound,
    SeenMessages,
    UserLanes,
    answer_from_menu,
    backoff,
    clip_text,
    dedupe_key,
    mask_user,
    render_buttons,
    template_payload,
    texts,
    translate,
    within_service_window,
)

logger = logging.getLogger(__name__)

#: Rasa's handler of a new user message (an async function).
OnNewMessage = Callable[[UserMessage], Coroutine[Any, Any, Any]]

TOKEN_HEADER = "X-GW-Token"
#: WeChat's own messages are a few hundred bytes; anything this big is not from WeChat.
MAX_BODY_BYTES = 64 * 1024
#: errcodes that no retry will fix: user unsubscribed / refused, template invalid.
PERMANENT_ERRCODES = frozenset({43004, 43101, 40003, 40037, 47003})
#: 45015: outside the customer-service window; a template message may still reach the citizen.
OUT_OF_WINDOW_ERRCODE = 45015


@dataclass(frozen=True)
class WeChatConfig:
    """The channel's settings: credentials file first, then environment variables."""

    app_id: str
    secret: str
    token: str
    aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    template_id: str = ""
    app_url: str = "http://127.0.0.1:8000"
    internal_token: str = ""
    send_attempts: int = 4
    api_timeout_s: float = 10.0
    service_window_s: float = SERVICE_WINDOW_S

    @classmethod
    def from_credentials(cls, creds: dict[str, Any]) -> WeChatConfig:
        def get(key: str, env: str, default: str = "") -> str:
            value = creds.get(key)
            return str(value) if value not in (None, "") else os.environ.get(env, default)

        return cls(
            app_id=get("app_id", "WECHAT_APP_ID"),
            secret=get("secret", "WECHAT_SECRET"),
            token=get("token", "WECHAT_TOKEN"),
            aes_key=get("aes_key", "WECHAT_AES_KEY"),
            api_base_url=get("api_base_url", "WECHAT_API_BASE_URL") or DEFAULT_API_BASE_URL,
            template_id=get("template_id", "WECHAT_TEMPLATE_ID"),
            app_url=get("app_url", "GW_APP_URL", "http://127.0.0.1:8000").rstrip("/"),
            internal_token=get("internal_token", "GW_INTERNAL_TOKEN"),
            service_window_s=float(get("service_window_hours", "WECHAT_SERVICE_WINDOW_HOURS", "48"))
            * 3600,
        )


def _area_resolver() -> Callable[[str], str | None] | None:
    """The gazetteer of bot.nlp.extraction (pure Python) names the area of a pin's address label."""
    try:
        from bot.nlp.extraction import extract
    except ImportError:  # pragma: no cover - the extraction package is part of the repository
        logger.warning("bot.nlp.extraction not importable: location pins keep their label only")
        return None
    province = os.environ.get("GW_DEPLOYMENT_PROVINCE", "四川省")
    city = os.environ.get("GW_DEPLOYMENT_CITY", "绵阳市")

    def resolve(label: str) -> str | None:
        place = extract(label, province=province, city=city).place
        if place is None or place.is_ambiguous or not (place.district or place.town):
            return None
        return place.area_text or None

    return resolve


class WeChatOutput(OutputChannel):
    """Sends the bot's messages as customer-service messages, in order, through the channel."""

    def __init__(self, channel: WeChatInput) -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> str:
        return "wechat"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.channel.queue_reply(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        rendered, payloads = render_buttons(text, buttons)
        self.channel.menus[recipient_id] = payloads
        self.channel.queue_reply(recipient_id, rendered)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.channel.queue_reply(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        self.channel.queue_reply(recipient_id, attachment)

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        for element in elements or []:
            title = element.get("title") if isinstance(element, dict) else None
            if title:
                self.channel.queue_reply(recipient_id, str(title))

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
        config = WeChatConfig.from_credentials(credentials or {})
        if not (config.token and config.app_id and config.secret):
            cls.raise_missing_credentials_exception()
        return cls(config)

    def __init__(self, config: WeChatConfig) -> None:
        self.config = config
        self.crypto = (
            WeChatCrypto(config.token, config.aes_key, config.app_id) if config.aes_key else None
        )
        self.client = ApiClient(
            config.app_id, config.secret, base_url=config.api_base_url, timeout=config.api_timeout_s
        )
        self.seen = SeenMessages()
        self.turns = UserLanes("turn")
        self.deliveries = UserLanes("delivery")
        #: Payloads of the numbered menu last shown to each citizen.
        self.menus: dict[str, list[str]] = {}
        #: When each citizen last wrote (time.time()); the tracker store is asked when unknown.
        self.last_seen: dict[str, float] = {}
        self.unsubscribed: set[str] = set()
        self.resolve_area = _area_resolver()
        self._http: aiohttp.ClientSession | None = None
        #: The Sanic loop (webhook, lanes, sending) and the loop that runs bot turns.
        self._main_loop: asyncio.AbstractEventLoop | None = None
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self.stats = {"received": 0, "duplicates": 0, "turns": 0, "sent": 0, "send_failures": 0}

    def get_output_channel(self) -> OutputChannel | None:
        return WeChatOutput(self)

    # -- the webhook ----------------------------------------------------------------------------
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint("wechat_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", **self.stats, "busy_users": self.turns.busy})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """WeChat's server check: echo `echostr` when the signature is right."""
            args = request.args
            if not self._signed(args.get("signature"), args.get("timestamp"), args.get("nonce")):
                return response.text("invalid signature", status=403)
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
            return await self._receive(request, on_new_message)

        @bp.route("/notify", methods=["POST"])
        async def notify(request: Request) -> HTTPResponse:
            return await self._notify(request)

        return bp

    def _signed(self, signature: str | None, timestamp: str | None, nonce: str | None) -> bool:
        if not (signature and timestamp and nonce):
            return False
        try:
            check_signature(self.config.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            return False
        return True

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        self._main_loop = asyncio.get_running_loop()
        args = request.args
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        if not self._signed(args.get("signature"), timestamp, nonce):
            return response.text("invalid signature", status=403)
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return response.text("message too large", status=400)
        xml: Any = body
        # Safe mode sends encrypt_type=aes; compatible mode may also send plain messages, which
        # the signature above already authenticates.
        encrypted = self.crypto is not None and args.get("encrypt_type") == "aes"
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
        if msg is None or not msg.source or not isinstance(msg.source, str):
            return response.text("malformed message: no sender", status=400)

        self.stats["received"] += 1
        if not self.seen.claim(dedupe_key(msg)):
            self.stats["duplicates"] += 1
            logger.info("retry of %s from %s ignored", dedupe_key(msg), mask_user(msg.source))
            return response.text("success")
        user = msg.source
        inbound = translate(msg, None)
        if inbound.kind == "unsubscribe":
            self.unsubscribed.add(user)
            logger.info("%s unsubscribed", mask_user(user))
            return response.text("success")
        self.unsubscribed.discard(user)
        if inbound.kind != "ignored":
            self.last_seen[user] = time.time()
        if inbound.immediate:
            return self._passive_reply(inbound.immediate, msg, timestamp, nonce, encrypted)
        if inbound.kind == "ignored" or (inbound.text is None and inbound.media_id is None):
            return response.text("success")
        received_at = datetime.now(timezone.utc)
        if not self.turns.submit(
            user, lambda: self._turn(msg, inbound, received_at, on_new_message)
        ):
            self.queue_reply(user, "消息太多了，请稍等一会儿再发。")
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
    async def _turn(
        self,
        msg: BaseMessage,
        inbound: Inbound,
        received_at: datetime,
        on_new_message: OnNewMessage,
    ) -> None:
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
            evidence = await self._keep_evidence(msg, inbound, received_at)
            if evidence is None:
                names = texts()["media_names"]
                self.queue_reply(
                    user,
                    str(texts()["media_failed"]).format(
                        kind=names.get(inbound.evidence_kind, "文件")
                    ),
                )
                return
            metadata["evidence"] = evidence
        if inbound.notice:
            self.queue_reply(user, inbound.notice)
        text = inbound.text or ""
        menu = self.menus.pop(user, None)
        if menu and inbound.kind == "text":
            text = answer_from_menu(text, menu)
        self.stats["turns"] += 1
        message = UserMessage(
            text,
            WeChatOutput(self),
            user,
            input_channel=self.name(),
            message_id=f"wx-{msg.id}" if msg.id else None,
            metadata=metadata,
        )
        # Model inference is CPU work that would hold the Sanic loop for every turn in flight;
        # on its own loop it cannot delay WeChat's next webhook call past 5 s.
        future: concurrent.futures.Future[Any] = asyncio.run_coroutine_threadsafe(
            on_new_message(message), self._turns_loop()
        )
        await asyncio.wrap_future(future)

    def _turns_loop(self) -> asyncio.AbstractEventLoop:
        if self._turn_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="wechat-turns", daemon=True).start()
            self._turn_loop = loop
        return self._turn_loop

    async def _keep_evidence(
        self, msg: BaseMessage, inbound: Inbound, received_at: datetime
    ) -> dict[str, Any] | None:
        """Downloads the media (ids expire in 3 days) and hands it to the app; None on failure."""
        if inbound.evidence_kind == "link":
            data, content_type = (inbound.link_url or "").encode(), "text/uri-list"
        else:
            downloaded = await self._download(str(inbound.media_id))
            if downloaded is None:
                return None
            data, content_type = downloaded
        form = {
            "channel": "wechat",
            "sender_id": msg.source,
            "kind": str(inbound.evidence_kind),
            "received_at": received_at.isoformat(),
            "msg_id": str(msg.id or ""),
            "media_id": inbound.media_id or "",
            "note": inbound.note or "",
        }
        for attempt in range(1, 4):
            try:
                return await self._upload(form, data, content_type)
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
                logger.warning("evidence upload attempt %d failed: %s", attempt, exc)
                await asyncio.sleep(backoff(attempt))
        logger.error("evidence of %s could not be stored", mask_user(msg.source))
        return None

    async def _download(self, media_id: str) -> tuple[bytes, str] | None:
        loop = asyncio.get_running_loop()
        for attempt in range(1, 4):
            try:
                res = await loop.run_in_executor(None, self.client.media.download, media_id)
                content = getattr(res, "content", None)
                if not content:
                    raise WeChatClientException(None, "empty media download")
                content_type = res.headers.get("Content-Type", "application/octet-stream")
                return bytes(content), content_type.split(";")[0].strip()
            except Exception as exc:  # requests/WeChat errors: retry, then give up politely
                logger.warning("media download attempt %d failed: %s", attempt, exc)
                await asyncio.sleep(backoff(attempt))
        return None

    async def _upload(self, form: dict[str, str], data: bytes, content_type: str) -> dict[str, Any]:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        body = aiohttp.FormData()
        for key, value in form.items():
            if value:
                body.add_field(key, value)
        body.add_field("file", data, filename="evidence", content_type=content_type)
        async with self._http.post(
            f"{self.config.app_url}/internal/channels/evidence",
            data=body,
            headers={TOKEN_HEADER: self.config.internal_token},
        ) as r:
            if r.status != 200:
                raise RuntimeError(f"app answered {r.status}")
            result: dict[str, Any] = await r.json()
            return {k: result.get(k) for k in ("id", "sha256", "size", "kind", "content_type")}

    # -- sending ------------------------------------------------------------------------------------
    def queue_reply(self, user: str, text: str) -> None:
        """Sends `text` after everything queued for `user` before it, retrying with backoff.

        Callable from the turns loop too: the lanes live on the Sanic loop, and
        call_soon_threadsafe keeps the bot's messages in the order it said them.
        """
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._main_loop is not None and running is not self._main_loop:
            self._main_loop.call_soon_threadsafe(self._queue_reply_now, user, text)
            return
        self._queue_reply_now(user, text)

    def _queue_reply_now(self, user: str, text: str) -> None:
        for part in clip_text(text):
            self.deliveries.submit(user, functools.partial(self._send_text, user, part))

    async def _send_text(self, user: str, text: str) -> None:
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.config.send_attempts + 1):
            try:
                await loop.run_in_executor(None, self.client.message.send_text, user, text)
                self.stats["sent"] += 1
                return
            except WeChatClientException as exc:
                if exc.errcode in PERMANENT_ERRCODES or exc.errcode == OUT_OF_WINDOW_ERRCODE:
                    break
                logger.warning(
                    "reply to %s failed (attempt %d): %s", mask_user(user), attempt, exc.errcode
                )
            except Exception as exc:
                logger.warning(
                    "reply to %s failed (attempt %d): %s",
                    mask_user(user),
                    attempt,
                    type(exc).__name__,
                )
            if attempt < self.config.send_attempts:
                await asyncio.sleep(backoff(attempt))
        self.stats["send_failures"] += 1
        logger.error("reply to %s undelivered", mask_user(user))

    # -- status push from the app -------------------------------------------------------------------
    async def _notify(self, request: Request) -> HTTPResponse:
        """One delivery attempt of a status update; the app's outbox worker retries."""
        token = request.headers.get(TOKEN_HEADER) or ""
        expected = self.config.internal_token
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return response.json({"error": "bad internal token", "retry": False}, status=403)
        try:
            body = request.json
        except Exception:
            body = None
        if not isinstance(body, dict) or not body.get("recipient") or not body.get("text"):
            return response.json(
                {"error": "recipient and text required", "retry": False}, status=400
            )
        user, text = str(body["recipient"]), str(body["text"])
        if user in self.unsubscribed:
            return response.json({"error": "citizen unsubscribed", "retry": False}, status=422)
        loop = asyncio.get_running_loop()
        if within_service_window(
            await self._last_user_time(request, user), window_s=self.config.service_window_s
        ):
            try:
                for part in clip_text(text):
                    await loop.run_in_executor(None, self.client.message.send_text, user, part)
                return response.json({"via": "customer_service"})
            except WeChatClientException as exc:
                if exc.errcode != OUT_OF_WINDOW_ERRCODE:
                    return self._send_error(exc)
            except Exception as exc:
                return response.json({"error": type(exc).__name__, "retry": True}, status=502)
        if not self.config.template_id:
            return response.json(
                {"error": "outside the 48 h window and no template configured", "retry": False},
                status=422,
            )
        data = template_payload(body.get("data") or {})
        try:
            await loop.run_in_executor(
                None, self.client.message.send_template, user, self.config.template_id, data
            )
        except WeChatClientException as exc:
            return self._send_error(exc)
        except Exception as exc:
            return response.json({"error": type(exc).__name__, "retry": True}, status=502)
        return response.json({"via": "template"})

    @staticmethod
    def _send_error(exc: WeChatClientException) -> HTTPResponse:
        permanent = exc.errcode in PERMANENT_ERRCODES
        return response.json(
            {"error": f"WeChat error {exc.errcode}", "retry": not permanent},
            status=422 if permanent else 502,
        )

    async def _last_user_time(self, request: Request, user: str) -> float | None:
        """When the citizen last wrote: this process's memory, else the tracker store."""
        known = self.last_seen.get(user)
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or getattr(agent, "tracker_store", None) is None:
            return known
        try:
            tracker = await agent.tracker_store.retrieve(user)
        except Exception:
            logger.exception("tracker store unavailable for the 48 h check")
            return known
        if tracker is None:
            return known
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                return max(known or 0.0, float(event.timestamp))
        return known
