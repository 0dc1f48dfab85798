"""Messages to citizens through the WeChat API: the bot's replies as customer-service messages
(in order, retried with backoff), and status updates the app pushes (`/webhooks/wechat/notify`):
a customer-service message within 48 h of the citizen's last message, else a template message."""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging

from rasa.shared.core.events import UserUttered
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.exceptions import WeChatClientException

from bot.config import TOKEN_HEADER
from connectors.wechat_config import WeChatConfig
from connectors.wechat_state import ChannelState, MemoryState, StateUnavailable
from connectors.wechat_support import (
    ApiClient,
    UserLanes,
    backoff,
    clip_text,
    mask_user,
    template_payload,
    within_service_window,
)

logger = logging.getLogger(__name__)

#: errcodes that no retry will fix: user unsubscribed / refused, template invalid.
PERMANENT_ERRCODES = frozenset({43004, 43101, 40003, 40037, 47003})
#: 45015: outside the customer-service window; a template message may still reach the citizen.
OUT_OF_WINDOW_ERRCODE = 45015


class Outbound:
    """Sends to citizens: replies per citizen in order, and the app's status pushes."""

    def __init__(
        self,
        config: WeChatConfig,
        client: ApiClient,
        stats: dict[str, int],
        state: ChannelState | None = None,
    ) -> None:
        self.config = config
        self.client = client
        self.stats = stats
        self.deliveries = UserLanes("delivery")
        #: When each citizen last wrote (the tracker store is asked when unknown), who
        #: unsubscribed, and which status pushes went out: shared by all servers with Redis.
        self.state: ChannelState = state if state is not None else MemoryState()
        #: The Sanic loop, where the delivery lanes live (set by the webhook's first call).
        self.main_loop: asyncio.AbstractEventLoop | None = None

    # -- the bot's replies --------------------------------------------------------------------------
    def queue_reply(self, user: str, text: str) -> None:
        """Sends `text` after everything queued for `user` before it, retrying with backoff.

        Callable from the turns loop too: the lanes live on the Sanic loop, and
        call_soon_threadsafe keeps the bot's messages in the order it said them.
        """
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self.main_loop is not None and running is not self.main_loop:
            self.main_loop.call_soon_threadsafe(self._queue_reply_now, user, text)
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
    async def push(self, request: Request) -> HTTPResponse:
        """One delivery attempt of a status update; the outbox sender (bot.casework.sender)
        retries.

        With the outbox row's `notification_id`, a push is sent at most once whichever server
        and sender try it: the id is claimed in the shared state before WeChat is called and
        marked sent right after WeChat accepts (the only window for a duplicate is between
        those two steps: this server dying after WeChat's answer and before one Redis SET). A
        push another server is sending now is answered 409 (retry later); one already sent, 200.
        """
        token = request.headers.get(TOKEN_HEADER) or ""
        expected = self.config.internal_token
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return response.json({"error": "bad internal token", "retry": False}, status=403)
        push_id = ""
        try:
            body = request.json
        except Exception:
            body = None
        if isinstance(body, dict):
            # push_key names the row across databases (id + creation time); else the bare id
            key = body.get("push_key") or body.get("notification_id")
            push_id = str(key)[:100] if key not in (None, "") else ""
        try:
            state = self.state.push_begin(push_id) if push_id else "go"
        except StateUnavailable:
            return response.json({"error": "shared state unavailable", "retry": True}, status=503)
        if state == "sent":
            return response.json({"via": "already_sent"})
        if state != "go":
            return response.json(
                {"error": "being sent by another server", "retry": True}, status=409
            )
        answer = await self._push(request)
        if push_id:
            try:
                self.state.push_done(push_id, sent=answer.status == 200)
            except StateUnavailable:
                logger.error("push %s: outcome not recorded in the shared state", push_id)
        return answer

    async def _push(self, request: Request) -> HTTPResponse:
        try:
            body = request.json
        except Exception:
            body = None
        if not isinstance(body, dict) or not body.get("recipient") or not body.get("text"):
            return response.json(
                {"error": "recipient and text required", "retry": False}, status=400
            )
        user, text = str(body["recipient"]), str(body["text"])
        try:
            unsubscribed = self.state.is_unsubscribed(user)
        except StateUnavailable:
            return response.json({"error": "shared state unavailable", "retry": True}, status=503)
        if unsubscribed:
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
        try:
            known = self.state.last_seen(user)
        except StateUnavailable:
            known = None
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
