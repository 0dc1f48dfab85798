"""The hotline channel's wire format, without Rasa: request checks and the JSON answer.

Pure Python over bot.calls and bot.nlp.privacy, so the same code runs in the Rasa server
(connectors/hotline.py) and in the app environment's unit tests. Error reasons are given in
Chinese for the agent (bot/data/texts/agent.yml `hotline.errors`) and in English for logs and
integrators.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict
from zoneinfo import ZoneInfo

from bot import texts
from bot.calls import (
    FIELD_LABELS,
    FIELDS,
    MAX_TRANSCRIPT_CHARS,
    TranscriptError,
    check,
    questions,
)
from bot.nlp.privacy import mask_phone, normalise_phone
from connectors.errors import BodyError, ChannelError, read_json
from connectors.turn_ids import TURN_ID_RE

logger = logging.getLogger(__name__)

#: Largest request body accepted (a transcript at the cap is ~60 KB of UTF-8).
MAX_BODY_BYTES = 256 * 1024
MAX_MESSAGE_CHARS = 2000
CALL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
#: The report form's slot → draft field whose transcript sentences explain it.
SOURCE_FIELD = {"area": "area", "location": "location"}

Status = Literal["drafting", "confirm", "filed", "transfer", "cancelled"]


class HotlineError(ChannelError):
    """A request the hotline channel refuses; `status` is the HTTP code."""

    @classmethod
    def from_transcript(cls, exc: TranscriptError) -> HotlineError:
        return cls(exc.code, exc.zh, exc.en)


@dataclass(frozen=True)
class NewCall:
    call_id: str
    transcript: str
    caller_number: str | None
    agent_id: str | None
    started_at: str | None
    #: The agent insists the call is an environmental complaint (overrides the transfer advice).
    force_report: bool = False

    @property
    def sender_id(self) -> str:
        return sender_id(self.call_id)


@dataclass(frozen=True)
class FollowUp:
    call_id: str
    message: str
    agent_id: str | None = None
    #: The client's id of this turn: the same turn sent again (a retry after a timeout, the
    #: load balancer's retry on another server) is answered from the conversation, not re-run.
    turn_id: str | None = None

    @property
    def sender_id(self) -> str:
        return sender_id(self.call_id)

    @property
    def message_id(self) -> str | None:
        """The user message's id in the tracker (Rasa keeps it on the UserUttered event)."""
        return turn_message_id(self.call_id, self.turn_id) if self.turn_id else None


def turn_message_id(call_id: str, turn_id: str) -> str:
    return f"hotline:{call_id}:{turn_id}"


def sender_id(call_id: str) -> str:
    """The Rasa conversation of a call (its tracker lives in the SQL tracker store)."""
    return f"hotline:{call_id}"


def decode_body(raw: bytes | None) -> dict[str, Any]:
    """The JSON object of a request body, or HotlineError (too big, binary, not JSON)."""
    try:
        body = read_json(raw, MAX_BODY_BYTES)
    except BodyError as exc:
        kb = MAX_BODY_BYTES // 1024
        if exc.code == "too_large":
            zh = texts.text("agent", "hotline.errors.too_large", kb=kb)
            raise HotlineError(exc.code, zh, f"request body larger than {kb} KB", 413) from exc
        zh, en = {
            "empty": (texts.text("agent", "hotline.errors.empty"), "empty request body"),
            "binary": (
                texts.text("agent", "hotline.errors.binary"),
                "request body is not UTF-8 text",
            ),
            "bad_json": (
                texts.text("agent", "hotline.errors.bad_json"),
                "request body is not valid JSON",
            ),
        }[exc.code]
        raise HotlineError(exc.code, zh, en) from exc
    if not isinstance(body, dict):
        raise HotlineError(
            "bad_json",
            texts.text("agent", "hotline.errors.not_object"),
            "request body must be a JSON object",
        )
    return body


def _optional_str(body: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)):
        raise HotlineError(
            f"bad_{key}",
            texts.text("agent", "hotline.errors.not_text", key=key),
            f"{key} must be a string",
        )
    text = str(value).strip()
    if len(text) > limit:
        raise HotlineError(
            f"bad_{key}",
            texts.text("agent", "hotline.errors.field_too_long", key=key, limit=limit),
            f"{key} longer than {limit}",
        )
    return text or None


def started_at_iso(value: str | None, timezone: str = "Asia/Shanghai") -> str | None:
    """ISO 8601 with a zone; a time without one is local time of the deployment."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise HotlineError(
            "bad_started_at",
            texts.text("agent", "hotline.errors.bad_started_at"),
            "started_at is not an ISO 8601 time",
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.isoformat()


def parse_request(
    body: Mapping[str, Any], *, timezone: str = "Asia/Shanghai"
) -> NewCall | FollowUp:
    """A new call (`transcript` + metadata) or the agent's follow-up (`message`)."""
    call_id = body.get("call_id")
    if not isinstance(call_id, (str, int)) or not CALL_ID_RE.match(str(call_id)):
        raise HotlineError(
            "bad_call_id",
            texts.text("agent", "hotline.errors.bad_call_id"),
            "call_id missing or invalid (letters, digits, ._:-, up to 64)",
        )
    call_id = str(call_id)
    agent_id = _optional_str(body, "agent_id", 64)
    if "transcript" in body:
        try:
            transcript = check(body.get("transcript"))
        except TranscriptError as exc:
            raise HotlineError.from_transcript(exc) from exc
        caller = _optional_str(body, "caller_number", 32)
        return NewCall(
            call_id=call_id,
            transcript=transcript,
            caller_number=caller,
            agent_id=agent_id,
            started_at=started_at_iso(_optional_str(body, "started_at", 40), timezone),
            force_report=bool(body.get("force_report")),
        )
    if "message" in body:
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            raise HotlineError(
                "empty", texts.text("agent", "hotline.errors.empty_message"), "message is empty"
            )
        if "\x00" in message or len(message) > MAX_MESSAGE_CHARS:
            raise HotlineError(
                "bad_message",
                texts.text("agent", "hotline.errors.bad_message", limit=MAX_MESSAGE_CHARS),
                f"message is binary or longer than {MAX_MESSAGE_CHARS} characters",
            )
        turn_id = _optional_str(body, "turn_id", 64)
        if turn_id is not None and not TURN_ID_RE.match(turn_id):
            raise HotlineError(
                "bad_turn_id",
                texts.text("agent", "hotline.errors.bad_call_id"),
                "turn_id invalid (letters, digits, ._:-, up to 64)",
            )
        return FollowUp(
            call_id=call_id, message=message.strip(), agent_id=agent_id, turn_id=turn_id
        )
    raise HotlineError(
        "missing_transcript",
        texts.text("agent", "hotline.errors.missing_transcript"),
        "either transcript (new call) or message (follow-up) is required",
    )


# -- the answer ------------------------------------------------------------------------------------
class Source(TypedDict):
    sentence: str
    speaker: str
    start: int
    end: int


class FieldOut(TypedDict):
    value: Any
    label: str
    by: str  # transcript / agent / call
    note: str | None
    sources: list[Source]


def _display(name: str, slots: Mapping[str, Any]) -> Any:
    value = slots.get(name)
    if name == "contact":
        if slots.get("anonymous"):
            return texts.text("agent", "draft.values.anonymous")
        phone = slots.get("contact_phone") or value
        return mask_phone(str(phone)) if phone and normalise_phone(str(phone)) else value
    if name == "location":
        return slots.get("location") or slots.get("address")
    return value


def _draft_event(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for e in events:
        if e.get("event") == "user":
            hotline = (e.get("metadata") or {}).get("hotline") or {}
            if isinstance(hotline, Mapping) and isinstance(hotline.get("draft"), Mapping):
                return hotline
    return None


def field_origins(events: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """Slot → None when the transcript draft set it last, else the agent's message that did."""
    origins: dict[str, str | None] = {}
    current: Mapping[str, Any] | None = None
    for e in events:
        kind = e.get("event")
        if kind == "user":
            current = e
        elif kind == "slot" and current is not None and e.get("name") in FIELDS:
            hotline = (current.get("metadata") or {}).get("hotline") or {}
            from_draft = isinstance(hotline, Mapping) and isinstance(hotline.get("draft"), Mapping)
            origins[str(e["name"])] = None if from_draft else str(current.get("text") or "")
    return origins


def status_of(events: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]) -> Status:
    if slots.get("filed_ticket"):
        return "filed"
    for e in reversed(events):
        if e.get("event") != "action":
            continue
        name = e.get("name")
        if name == "action_report_summary":
            return "confirm"
        if name in ("utter_cancelled", "action_restart"):
            return "cancelled"
        if name in ("report_form", "utter_start_report", "utter_ask_correction"):
            return "drafting"
    return "drafting"


def missing_fields(slots: Mapping[str, Any]) -> list[dict[str, str]]:
    """Required report fields still empty, each with the bot's question for the caller."""
    asked = questions()
    out: list[dict[str, str]] = []
    for name in FIELDS:
        if slots.get(name) not in (None, "", []):
            continue
        question = asked.get(name, "")
        if name == "area" and slots.get("place_candidates"):
            question = texts.text(
                "citizen",
                "hotline.area_ambiguous",
                place=slots.get("address") or texts.text("citizen", "hotline.this_place"),
                candidates="；".join(slots["place_candidates"]),
            )
        out.append({"field": name, "label": FIELD_LABELS[name], "question": question})
    return out


def build_response(
    call_id: str,
    *,
    messages: Sequence[Mapping[str, Any]],
    slots: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The channel's JSON answer: bot messages, draft fields with their sentences, what is
    missing (with the question to ask), the ticket once filed. `events`: the conversation's
    events as dicts; only those after the last restart count."""
    restarts = [i for i, e in enumerate(events) if e.get("event") == "restart"]
    events = events[restarts[-1] + 1 :] if restarts else events
    hotline = _draft_event(events) or {}
    sources: Mapping[str, Any] = hotline.get("sources") or {}
    notes: Mapping[str, Any] = hotline.get("notes") or {}
    origins = field_origins(events)
    status = status_of(events, slots)
    by_call = texts.text("agent", "draft.notes.caller_number")
    draft: dict[str, FieldOut] = {}
    for name in FIELDS:
        value = _display(name, slots)
        if value in (None, "", []):
            continue
        agent_text = origins.get(name)
        if agent_text:
            field: FieldOut = {
                "value": value,
                "label": FIELD_LABELS[name],
                "by": "agent",
                "note": texts.text("agent", "draft.notes.by_agent"),
                "sources": [{"sentence": agent_text, "speaker": "agent", "start": -1, "end": -1}],
            }
        else:
            src = list(sources.get(SOURCE_FIELD.get(name, name)) or [])
            note = notes.get(name)
            field = {
                "value": value,
                "label": FIELD_LABELS[name],
                "by": "call" if (note == by_call and not src) else "transcript",
                "note": note,
                "sources": src,
            }
        draft[name] = field
    out_messages = [
        {k: v for k, v in m.items() if k in ("text", "buttons") and v} for m in messages
    ]
    return {
        "call_id": call_id,
        "status": status,
        "messages": [m for m in out_messages if m],
        "draft": draft,
        "missing": [] if status in ("filed", "cancelled") else missing_fields(slots),
        "ticket": slots.get("filed_ticket") or None,
        "warnings": list(hotline.get("warnings") or []),
        "transfer": None,
        "shape": hotline.get("shape"),
    }


def transfer_response(
    call_id: str, reason: str, shape: str, warnings: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """A call with no environmental problem: nothing is filed; the agent transfers it."""
    text = texts.text("agent", "hotline.transfer", reason=reason)
    return {
        "call_id": call_id,
        "status": "transfer",
        "messages": [{"text": text}],
        "draft": {},
        "missing": [],
        "ticket": None,
        "warnings": list(warnings),
        "transfer": {"reason": reason},
        "shape": shape,
    }


__all__ = [
    "MAX_BODY_BYTES",
    "MAX_TRANSCRIPT_CHARS",
    "FollowUp",
    "HotlineError",
    "NewCall",
    "build_response",
    "decode_body",
    "field_origins",
    "missing_fields",
    "parse_request",
    "sender_id",
    "status_of",
    "transfer_response",
]
