"""Refusals of our webhooks (REST, hotline): one JSON shape, one way of answering them.

{"error": {"code", "message" (中文), "message_en", "reason"}}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    """A request a channel refuses; `status` is the HTTP code (400 unless said otherwise), and
    `retry_after` the seconds a client should wait before sending it again (a 503's Retry-After)."""

    def __init__(
        self, code: str, zh: str, en: str, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{zh} ({en})")
        self.code, self.zh, self.en, self.status = code, zh, en, status
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.zh,
                "message_en": self.en,
                "reason": f"{self.zh} ({self.en})",
            }
        }


def refusal(exc: ChannelError, stats: dict[str, int], channel: str) -> HTTPResponse:
    """Counts and logs a refused request (its code only: no content) and answers it."""
    stats["rejected"] += 1
    logger.info("%s request refused: %s", channel, exc.code)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return response.json(exc.body(), status=exc.status, headers=headers)


def webhook_blueprint(
    name: str,
    module: str,
    stats: dict[str, int],
    receive: Callable[[Request], Awaitable[HTTPResponse]],
    channel: str,
) -> Blueprint:
    """A channel's routes: GET / (health and the channel's counters) and POST /webhook, whose
    ChannelError is answered as a refusal. `module` is Rasa's url_prefix placeholder, replaced
    when Rasa registers the channel."""
    bp = Blueprint(name, module)

    @bp.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok", **stats})

    @bp.route("/webhook", methods=["POST"])
    async def webhook(request: Request) -> HTTPResponse:
        try:
            return await receive(request)
        except ChannelError as exc:
            return refusal(exc, stats, channel)

    return bp


class BodyError(ValueError):
    """Why a request body is no JSON document: `code` is too_large, empty, binary or bad_json.
    Each channel words it for its own audience."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def read_json(raw: bytes | None, limit: int) -> Any:
    """The JSON document of a request body of at most `limit` bytes, or BodyError."""
    raw = raw or b""
    if len(raw) > limit:
        raise BodyError("too_large")
    if not raw.strip():
        raise BodyError("empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError("binary") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BodyError("bad_json") from exc
