"""The REST channel for the Rasa server: `/webhooks/rest/webhook`, as Rasa's own, but trusted less.

Configured in credentials.yml as `connectors.rest.RestInput`. Its name stays `rest`, so the URL
and the answer (a JSON list of the bot's messages) are those of Rasa's RestInput. What differs
(connectors/rest_support.py has the rules):

- the channel is decided here (always `rest`), never by the body's `input_channel`, and the
  body's `metadata` is dropped: only the hotline and WeChat channels set metadata the bot reads;
- the conversation is `rest:<sender>`, REST's own namespace;
- a malformed body gets a 400 with a reason (Rasa's answered 500), a body over
  rest_support.MAX_BODY_BYTES a 413, and a message longer than Settings.max_message_chars a
  polite reply, without a turn: it is never stored;
- a turn that was not saved (the tracker store failed; rasa_ext/tracker_store.py) is answered
  503 with the bot's one message that the citizen's message was not saved and should be sent
  again. Rasa's channel logged the message text and answered 200 with whatever the bot had said;
- streaming (`?stream=true`) is refused: a streamed reply goes out before the turn is saved;
- a message may carry `message_id`: sent again (its server died), it is answered from the
  conversation instead of run twice (connectors/turn_ids.py); sent again while its first copy
  still runs, it waits for that copy (a lease per message id, connectors/leases.py) and is
  answered with what the bot said to it, or, after leases.WAIT_S, refused with a 503 and
  Retry-After: it is never run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import texts
from bot.config import get_settings
from connectors.errors import webhook_blueprint
from connectors.leases import RETRY_AFTER_S, LeaseBusy, Leases
from connectors.rest_support import RestError, RestMessage, mask_sender, parse_request
from connectors.turn_ids import replies_to

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class RestInput(RasaRestInput):
    """The REST webhook: one message in, the bot's messages out, once the turn is saved."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RestInput:
        texts.check_all()  # a broken catalogue stops the Rasa server at start-up
        creds = credentials or {}
        limit = creds.get("max_message_chars")
        redis_url = str(creds.get("redis_url") or get_settings().redis_url)
        return cls(int(limit) if limit else None, redis_url)

    def __init__(self, max_message_chars: int | None = None, redis_url: str = "") -> None:
        self.max_message_chars = max_message_chars or get_settings().max_message_chars
        #: One copy of a message id at a time, across servers (Redis when GW_REDIS_URL is set).
        self.leases = Leases(redis_url, prefix="gw:rest:message:")
        self.stats = {"turns": 0, "repeats": 0, "rejected": 0, "too_long": 0, "not_saved": 0}

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return webhook_blueprint("greenwhistle_rest_webhook", __name__, self.stats, receive, "REST")

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if str(request.args.get("stream", "")).lower() in ("true", "1", "yes"):
            raise RestError(
                "stream",
                texts.text("citizen", "guard.errors.stream"),
                "streaming replies are not supported: they would go out before the turn is saved",
            )
        msg = parse_request(request.body)
        if len(msg.text) > self.max_message_chars:
            self.stats["too_long"] += 1
            logger.info("REST message of %d characters refused", len(msg.text))
            polite = texts.text("citizen", "guard.too_long", limit=self.max_message_chars)
            return self._reply(msg, [{"text": polite}])
        if msg.message_id is None:
            return await self._turn(msg, on_new_message)
        try:
            async with self.leases.hold(self._message_id(msg)):
                # a copy that ran before (on any server, which may have died after saving it)
                # is in the conversation by now
                if before := await self._answered_before(request, msg):
                    return before
                return await self._turn(msg, on_new_message)
        except LeaseBusy as exc:
            logger.warning("REST message of %s not run: %s", mask_sender(msg.sender), exc)
            raise RestError(
                "still_running",
                texts.text("citizen", "guard.still_running"),
                "the same message_id is still being handled: send it again shortly",
                503,
                retry_after=RETRY_AFTER_S,
            ) from exc

    async def _answered_before(self, request: Request, msg: RestMessage) -> HTTPResponse | None:
        """The bot's answer to `msg` if the conversation already holds it (sent again after its
        server died: connectors/turn_ids.py), else None."""
        agent = getattr(request.app.ctx, "agent", None)
        if msg.message_id is None or agent is None or agent.tracker_store is None:
            return None
        try:
            tracker = await agent.tracker_store.retrieve(msg.sender_id)
        except Exception as exc:  # the turn itself then reports the store
            logger.warning("REST repeat check skipped: %s", type(exc).__name__)
            return None
        if tracker is None:
            return None
        done = replies_to([e.as_dict() for e in tracker.events], self._message_id(msg))
        if done is None:
            return None
        self.stats["repeats"] += 1
        logger.info("REST message of %s answered again", mask_sender(msg.sender))
        return self._reply(msg, done)

    @staticmethod
    def _message_id(msg: RestMessage) -> str:
        return f"rest:{msg.sender}:{msg.message_id}"

    async def _turn(self, msg: RestMessage, on_new_message: OnNewMessage) -> HTTPResponse:
        collector = CollectingOutputChannel()
        self.stats["turns"] += 1
        try:
            await on_new_message(
                UserMessage(
                    msg.text,
                    collector,
                    msg.sender_id,
                    input_channel=self.name(),
                    message_id=self._message_id(msg) if msg.message_id else None,
                )
            )
        except Exception as exc:
            # Rasa saves the tracker last: whatever failed, this turn is not saved.
            self.stats["not_saved"] += 1
            logger.error(
                "REST turn of %s not saved: %s", mask_sender(msg.sender), type(exc).__name__
            )
            not_saved = texts.text("citizen", "guard.not_saved")
            return self._reply(msg, [{"text": not_saved}], status=503)
        return response.json(collector.messages)

    @staticmethod
    def _reply(msg: RestMessage, messages: list[dict[str, Any]], status: int = 200) -> HTTPResponse:
        """The channel's own answer, in the shape of the bot's (a list of messages)."""
        return response.json(
            [{"recipient_id": msg.sender_id, **m} for m in messages], status=status
        )
