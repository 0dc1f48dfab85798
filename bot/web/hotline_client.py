"""HTTP client of the hotline channel (`/webhooks/hotline/webhook` on the Rasa server).

Used by the console's agent page and the batch import, so both reach the bot the same way as any
other integration (the app never drives Rasa in-process). Errors come back as `HotlineReply`
with the channel's reason, never as exceptions, except when the channel cannot be reached.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot import texts
from bot.config import TOKEN_HEADER, get_settings, secret_value

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/hotline/webhook"
#: A new call runs extraction, the bot's turn and its actions: allow for a busy machine.
TIMEOUT_S = 60.0


class HotlineUnavailable(Exception):
    """The Rasa server (hotline channel) did not answer."""


@dataclass
class HotlineReply:
    """The channel's answer: `body` is the JSON described in docs/hotline.md."""

    status_code: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status_code == 200

    @property
    def error(self) -> dict[str, Any] | None:
        err = self.body.get("error")
        return err if isinstance(err, dict) else None

    @property
    def status(self) -> str:
        return str(self.body.get("status") or ("error" if not self.ok else ""))


def _bad_response(reason_en: str) -> dict[str, Any]:
    """The channel answered, but not with JSON we can read: an error in the channel's shape."""
    return {
        "error": {
            "code": "bad_response",
            "message": texts.text("staff", "console.hotline.bad_response"),
            "message_en": reason_en,
        }
    }


class HotlineClient:
    def __init__(
        self,
        rasa_url: str,
        token: str | None,
        *,
        timeout: float = TIMEOUT_S,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = rasa_url.rstrip("/") + WEBHOOK_PATH
        self.token = token or ""
        self._client = client or httpx.Client(timeout=timeout)

    @classmethod
    def from_env(cls, rasa_url: str | None = None, token: str | None = None) -> HotlineClient:
        s = get_settings()
        return cls(
            rasa_url or s.rasa_url,
            token if token is not None else secret_value(s.internal_token),
        )

    def close(self) -> None:
        self._client.close()

    def post(self, payload: dict[str, Any]) -> HotlineReply:
        try:
            r = self._client.post(self.url, json=payload, headers={TOKEN_HEADER: self.token})
        except httpx.HTTPError as exc:
            raise HotlineUnavailable(f"hotline channel unreachable: {type(exc).__name__}") from exc
        try:
            body = r.json()
        except ValueError:
            body = _bad_response(f"invalid response ({r.status_code})")
        if not isinstance(body, dict):
            body = _bad_response("response is not a JSON object")
        return HotlineReply(r.status_code, body)

    def new_call(
        self,
        call_id: str,
        transcript: str,
        *,
        caller_number: str | None = None,
        agent_id: str | None = None,
        started_at: str | None = None,
        force_report: bool = False,
    ) -> HotlineReply:
        payload: dict[str, Any] = {
            "call_id": call_id,
            "transcript": transcript,
            "caller_number": caller_number,
            "agent_id": agent_id,
            "started_at": started_at,
        }
        if force_report:
            payload["force_report"] = True
        return self.post(payload)

    def follow_up(
        self,
        call_id: str,
        message: str,
        *,
        agent_id: str | None = None,
        turn_id: str | None = None,
    ) -> HotlineReply:
        """One agent turn, with a turn id, so that it is safe to send again: once more here when
        the channel is unreachable or busy (a Rasa server died under it), and the channel answers
        a turn it has handled before from the conversation instead of running it twice."""
        payload = {
            "call_id": call_id,
            "message": message,
            "agent_id": agent_id,
            "turn_id": turn_id or uuid.uuid4().hex,
        }
        try:
            reply = self.post(payload)
        except HotlineUnavailable:
            return self.post(payload)
        if reply.status_code in (502, 503, 504):
            return self.post(payload)
        return reply
