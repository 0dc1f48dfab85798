"""Hotline channel (12345 / 12369 call transcripts) for the Rasa server: `/webhooks/hotline/webhook`.

An agent (the console's hotline page, or `python -m bot.ops.hotline_import`) posts a call transcript;
the channel checks it and asks the app for the draft (`POST /internal/drafts`: speakers, the
caller's words, one extraction pass, corrections, the caller's number as contact; the Rasa server
runs none of our extraction) and hands the draft to the bot as the call's first message, so the report form asks only for what is missing. The agent's follow-up answers,
corrections and 「确认」 go through the same conversation (`hotline:<call_id>` in the tracker
store: only this channel, which checks the internal token, writes to that namespace; REST
conversations are `rest:<sender>`). The answer is JSON: bot messages, the draft with each field's
sentences, what is missing, and the ticket once filed. A turn the tracker store could not save
is refused (503, `not_saved`) instead of answered as if drafted. See docs/hotline.md. Never
imports the case store.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import Restarted
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import datafiles, texts
from bot.calls import MAX_TRANSCRIPT_CHARS, DraftWire, WireError
from bot.config import TOKEN_HEADER, get_settings, secret_value
from bot.nlp.privacy import mask_phone
from connectors.errors import webhook_blueprint
from connectors.hotline_support import (
    FollowUp,
    HotlineError,
    NewCall,
    build_response,
    decode_body,
    parse_request,
    sender_id,
    transfer_response,
)
from connectors.leases import RETRY_AFTER_S, LeaseBusy, Leases
from connectors.turn_ids import replies_to

logger = logging.getLogger(__name__)

#: The text of the call's first message in the conversation (the whole transcript is metadata).
MAX_FIRST_MESSAGE_CHARS = 2000
#: The app's drafting route, and how long a draft may take on a busy machine.
DRAFTS_PATH = "/internal/drafts"
DRAFT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class HotlineConfig:
    internal_token: str
    #: The app, which drafts calls (bot/web/drafts.py).
    app_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"
    max_chars: int = MAX_TRANSCRIPT_CHARS
    #: Redis shared by several Rasa servers: the per-call lease lives there (leases.py).
    redis_url: str = ""

    @classmethod
    def from_credentials(cls, creds: dict[str, Any] | None) -> HotlineConfig:
        creds = creds or {}
        s = get_settings()
        return cls(
            internal_token=str(creds.get("internal_token") or secret_value(s.internal_token)),
            app_url=str(creds.get("app_url") or s.app_url).rstrip("/"),
            timezone=s.timezone,
            max_chars=int(creds.get("max_chars") or MAX_TRANSCRIPT_CHARS),
            redis_url=str(creds.get("redis_url") or s.redis_url),
        )


class HotlineInput(InputChannel):
    """The hotline webhook: new calls and the agent's follow-ups, answered synchronously."""

    @classmethod
    def name(cls) -> str:
        return "hotline"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        texts.check_all()  # a broken catalogue or data file stops the Rasa server at start-up
        datafiles.check_all()
        return cls(HotlineConfig.from_credentials(credentials))

    def __init__(self, config: HotlineConfig) -> None:
        self.config = config
        self.locks = Leases(config.redis_url, prefix="gw:hotline:call:")
        self._http: aiohttp.ClientSession | None = None
        self.stats = {
            "calls": 0,
            "follow_ups": 0,
            "repeats": 0,
            "rejected": 0,
            "transfers": 0,
            "not_saved": 0,
        }
        if not config.internal_token:
            logger.warning("hotline channel: GW_INTERNAL_TOKEN unset, every request is refused")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return webhook_blueprint("hotline_webhook", __name__, self.stats, receive, "hotline")

    def _authorised(self, request: Request) -> bool:
        expected = self.config.internal_token
        given = request.headers.get(TOKEN_HEADER) or ""
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

    async def _draft(self, call: NewCall) -> DraftWire:
        """The app's draft of the call; HotlineError when the app cannot draft it (503: not
        reachable or not answering sensibly, 4xx: the app's reason for this transcript)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=DRAFT_TIMEOUT_S))
        payload = {"transcript": call.transcript, "caller_number": call.caller_number}
        try:
            async with self._http.post(
                f"{self.config.app_url}{DRAFTS_PATH}",
                json=payload,
                headers={TOKEN_HEADER: self.config.internal_token},
            ) as r:
                body = await r.json(content_type=None)
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            logger.error("drafting call %s failed: %s", call.call_id, type(exc).__name__)
            raise self._drafting_unavailable() from exc
        if status == 422 and isinstance(body, dict) and isinstance(body.get("detail"), dict):
            reason = body["detail"]
            raise HotlineError(
                str(reason.get("code") or "unreadable"),
                str(reason.get("message") or texts.text("agent", "hotline.errors.drafting")),
                str(reason.get("message_en") or "the transcript cannot be read"),
            )
        if status != 200:
            logger.error("drafting call %s: the app answered %d", call.call_id, status)
            raise self._drafting_unavailable()
        try:
            return DraftWire.from_json(body)
        except WireError as exc:
            logger.error("drafting call %s: unexpected answer (%s)", call.call_id, exc)
            raise self._drafting_unavailable() from exc

    @staticmethod
    def _drafting_unavailable() -> HotlineError:
        return HotlineError(
            "drafting_unavailable",
            texts.text("agent", "hotline.errors.drafting"),
            "the app, which drafts calls, is unavailable: send the same request again",
            503,
        )

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        if not self._authorised(request):
            raise HotlineError(
                "forbidden",
                texts.text("agent", "hotline.errors.forbidden"),
                f"missing or wrong {TOKEN_HEADER}",
                403,
            )
        req = parse_request(decode_body(request.body), timezone=self.config.timezone)
        if isinstance(req, NewCall) and len(req.transcript) > self.config.max_chars:
            raise HotlineError(
                "too_long",
                texts.text("agent", "hotline.errors.too_long", limit=self.config.max_chars),
                f"transcript longer than {self.config.max_chars} characters",
            )
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            raise HotlineError(
                "unavailable",
                texts.text("agent", "hotline.errors.unavailable"),
                "bot not ready",
                503,
            )
        try:
            async with self.locks.hold(req.call_id):
                if isinstance(req, NewCall):
                    return await self._new_call(agent, req, on_new_message)
                return await self._follow_up(agent, req, on_new_message)
        except LeaseBusy as exc:
            # never run beside the request that holds the call: the agent sends it again
            logger.warning("hotline call %s not handled: %s", req.call_id, exc)
            raise HotlineError(
                "busy",
                texts.text("agent", "hotline.errors.busy"),
                "another request of this call is still being handled: send it again shortly",
                503,
                retry_after=RETRY_AFTER_S,
            ) from exc

    async def _new_call(
        self, agent: Any, call: NewCall, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        self.stats["calls"] += 1
        draft = await self._draft(call)
        logger.info(
            "hotline call %s: %d chars, shape=%s, fields=%s, caller=%s",
            call.call_id,
            len(call.transcript),
            draft.shape,
            ",".join(draft.fields),
            mask_phone(call.caller_number),
        )
        tracker = await self._load(agent, call.sender_id)
        if (
            tracker is not None
            and tracker.get_slot("filed_ticket")
            and not tracker.get_slot("report_uid")
        ):
            # Filed before (an export imported twice, a double click): answer with the ticket.
            ticket = tracker.get_slot("filed_ticket")
            already = texts.text("agent", "hotline.already_filed", ticket=ticket)
            return await self._answer(agent, call.call_id, [{"text": already}])
        if draft.transfer and not call.force_report:
            self.stats["transfers"] += 1
            return response.json(
                transfer_response(call.call_id, draft.transfer, draft.shape, draft.warnings)
            )
        if tracker is not None and tracker.applied_events():
            tracker.update(Restarted())  # a re-pasted transcript replaces the unfinished draft
            await self._saved(agent.tracker_store.save(tracker))
        text = draft.complaint[:MAX_FIRST_MESSAGE_CHARS] or call.transcript[:200]
        metadata = {
            "hotline": {
                "call_id": call.call_id,
                "agent_id": call.agent_id,
                "started_at": call.started_at,
                "transcript": call.transcript,
                "shape": draft.shape,
                "draft": draft.slot_values,
                "sources": draft.sources,
                "notes": draft.notes,
                "warnings": draft.warnings,
            }
        }
        parse_data = {
            "text": text,
            "intent": {"name": "report_problem", "confidence": 1.0},
            "intent_ranking": [{"name": "report_problem", "confidence": 1.0}],
            "entities": [],
        }
        out = CollectingOutputChannel()
        await self._saved(
            on_new_message(
                UserMessage(
                    text,
                    out,
                    call.sender_id,
                    parse_data=parse_data,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
        )
        return await self._answer(agent, call.call_id, out.messages)

    async def _follow_up(
        self, agent: Any, msg: FollowUp, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        tracker = await self._load(agent, msg.sender_id)
        if tracker is None or not tracker.events:
            raise HotlineError(
                "unknown_call",
                texts.text("agent", "hotline.errors.unknown_call"),
                "no conversation for this call_id: post the transcript first",
                404,
            )
        if msg.message_id is not None:
            done = replies_to([e.as_dict() for e in tracker.events], msg.message_id)
            if done is not None:
                # this turn was handled before (here or on another server): answer it again
                self.stats["repeats"] += 1
                logger.info("hotline call %s: turn %s answered again", msg.call_id, msg.turn_id)
                return await self._answer(agent, msg.call_id, done)
        self.stats["follow_ups"] += 1
        out = CollectingOutputChannel()
        metadata = {"hotline": {"call_id": msg.call_id, "agent_id": msg.agent_id}}
        await self._saved(
            on_new_message(
                UserMessage(
                    msg.message,
                    out,
                    msg.sender_id,
                    input_channel=self.name(),
                    message_id=msg.message_id,
                    metadata=metadata,
                )
            )
        )
        return await self._answer(agent, msg.call_id, out.messages)

    @staticmethod
    async def _load(agent: Any, sender: str) -> Any:
        """The call's conversation; HotlineError(503) when the tracker store cannot load it."""
        try:
            return await agent.tracker_store.retrieve(sender)
        except Exception as exc:
            logger.error("hotline conversation not loaded: %s", type(exc).__name__)
            raise HotlineError(
                "unavailable",
                texts.text("agent", "hotline.errors.unavailable"),
                "the conversation store is unavailable",
                503,
            ) from exc

    async def _saved(self, turn: Awaitable[Any]) -> None:
        """Runs a turn (or a save); HotlineError(503, not_saved) when it was not saved: Rasa saves
        the tracker last, so whatever failed, nothing of the turn counts."""
        try:
            await turn
        except Exception as exc:
            self.stats["not_saved"] += 1
            logger.error("hotline turn not saved: %s", type(exc).__name__)
            raise HotlineError(
                "not_saved",
                texts.text("citizen", "guard.not_saved"),
                "the conversation could not be saved: send the same request again",
                503,
            ) from exc

    async def _answer(
        self, agent: Any, call_id: str, messages: list[dict[str, Any]]
    ) -> HTTPResponse:
        tracker = await self._load(agent, sender_id(call_id))
        slots = tracker.current_slot_values() if tracker is not None else {}
        # All events since the last restart: applied_events() hides user turns inside the form.
        events = [e.as_dict() for e in tracker.events] if tracker is not None else []
        body = build_response(call_id, messages=messages, slots=slots, events=events)
        logger.info(
            "hotline call %s: status=%s missing=%s ticket=%s",
            call_id,
            body["status"],
            ",".join(m["field"] for m in body["missing"]),
            body["ticket"],
        )
        return response.json(body)
