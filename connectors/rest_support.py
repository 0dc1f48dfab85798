"""The REST channel's wire format, without Rasa: what a request must be, and whose it is.

Pure Python, so the same code runs in the Rasa server (connectors/rest.py) and in the app
environment's unit tests. A request is `{"sender": "...", "message": "..."}`; anything else is
refused with a 400 and a reason in Chinese (bot/data/texts/citizen.yml `guard.errors`) and English.

Nothing in the body decides what the channel is. Rasa's own RestInput took `input_channel` and
`metadata` from the body, so any client on the host could claim to be the hotline (and inject a
call's draft) or WeChat (and have status updates pushed to any openid). Here the channel is
always `rest`, the client's metadata is dropped, and the conversation is stored as
`rest:<sender>`: a REST client can neither join a hotline (`hotline:<call_id>`) or WeChat (a bare
openid) conversation nor claim a call id before the agent files it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import texts
from connectors.errors import BodyError, ChannelError, read_json
from connectors.turn_ids import TURN_ID_RE

#: The conversation namespace of the REST channel (hotline: `hotline:<call_id>`, WeChat: openid).
SENDER_PREFIX = "rest:"
#: Longest sender id a client may choose (the ledger keeps 128 characters of a conversation id).
MAX_SENDER_CHARS = 64
#: A message at the character limit is at most 6 bytes a character in JSON (\\uXXXX escapes);
#: a body bigger than this is no chat message (413). A longer message in a smaller body gets a
#: polite reply instead (the channel checks Settings.max_message_chars).
MAX_BODY_BYTES = 512 * 1024


class RestError(ChannelError):
    """A request the REST channel refuses; `status` is the HTTP code."""


@dataclass(frozen=True)
class RestMessage:
    """A well-formed request: the client's sender id and its message."""

    sender: str
    text: str
    #: The client's id of this message (connectors/turn_ids.py); None when it sent none.
    message_id: str | None = None

    @property
    def sender_id(self) -> str:
        """The conversation in the tracker store."""
        return conversation_id(self.sender)


def conversation_id(sender: str) -> str:
    """`rest:<sender>`: REST conversations live in their own namespace."""
    return f"{SENDER_PREFIX}{sender}"


def mask_sender(sender: str) -> str:
    """A client's sender id shortened for logs (some clients use a phone number)."""
    return f"{sender[:3]}…{sender[-2:]}" if len(sender) > 8 else "***"


def _decode(raw: bytes | None) -> Any:
    try:
        return read_json(raw, MAX_BODY_BYTES)
    except BodyError as exc:
        kb = MAX_BODY_BYTES // 1024
        if exc.code == "too_large":
            zh = texts.text("citizen", "guard.errors.too_large", kb=kb)
            raise RestError(exc.code, zh, f"request body larger than {kb} KB", 413) from exc
        zh, en = {
            "empty": (texts.text("citizen", "guard.errors.empty"), "empty request body"),
            "binary": (texts.text("citizen", "guard.errors.binary"), "request body is not UTF-8"),
            "bad_json": (
                texts.text("citizen", "guard.errors.bad_json"),
                "request body is not JSON",
            ),
        }[exc.code]
        raise RestError(exc.code, zh, en) from exc


def parse_request(raw: bytes | None) -> RestMessage:
    """The sender and message of a request body, or RestError (400, or 413 when too big).

    `metadata`, when sent, must be an object (Rasa's clients send one) and is then dropped;
    `input_channel` is ignored: the server decides both.
    """
    body = _decode(raw)
    if not isinstance(body, dict):
        raise RestError(
            "not_object",
            texts.text("citizen", "guard.errors.not_object"),
            'request body must be a JSON object: {"sender": ..., "message": ...}',
        )
    sender = body.get("sender")
    if (
        not isinstance(sender, str)
        or not sender.strip()
        or len(sender) > MAX_SENDER_CHARS
        or not sender.isprintable()
    ):
        raise RestError(
            "bad_sender",
            texts.text("citizen", "guard.errors.bad_sender", limit=MAX_SENDER_CHARS),
            f"sender must be text of 1 to {MAX_SENDER_CHARS} printable characters",
        )
    message = body.get("message")
    if not isinstance(message, str):
        raise RestError(
            "bad_message",
            texts.text("citizen", "guard.errors.bad_message"),
            "message must be a string",
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RestError(
            "bad_metadata",
            texts.text("citizen", "guard.errors.bad_metadata"),
            "metadata must be a JSON object",
        )
    message_id = body.get("message_id")
    if message_id is not None and (
        not isinstance(message_id, str) or not TURN_ID_RE.match(message_id)
    ):
        raise RestError(
            "bad_message_id",
            texts.text("citizen", "guard.errors.bad_message"),
            "message_id must be letters, digits or ._:- (up to 64)",
        )
    return RestMessage(sender=sender, text=message, message_id=message_id)


__all__ = [
    "MAX_BODY_BYTES",
    "MAX_SENDER_CHARS",
    "SENDER_PREFIX",
    "RestError",
    "RestMessage",
    "conversation_id",
    "mask_sender",
    "parse_request",
]
