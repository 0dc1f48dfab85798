"""A hotline call as the Rasa server's hotline channel and the app exchange it.

The channel runs in the Rasa environment and runs none of our extraction (issue 15: the NLP
package is app-only). It checks a transcript here, asks the app for the draft over HTTP
(`POST /internal/drafts`, bot/web/drafts.py) and reads the answer with `DraftWire`. Also here,
because both sides name them: the report form's fields, their labels and questions.

Pure Python over bot.texts (no Rasa, spaCy, SQLAlchemy or pydantic).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot import texts

logger = logging.getLogger(__name__)

#: Longest transcript accepted (a 30-minute call is ~8,000 characters of speech-to-text).
MAX_TRANSCRIPT_CHARS = 20_000
#: A transcript needs this many Chinese characters, and this share of its letters, to be read.
MIN_CJK_CHARS = 4
MIN_CJK_SHARE = 0.3
#: The CJK Unified Ideographs block: what counts as a Chinese character.
CJK_FIRST, CJK_LAST = 0x4E00, 0x9FFF


class TranscriptError(ValueError):
    """A transcript that cannot be read; `code` for programs, reasons in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.code = code
        self.zh = zh
        self.en = en

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.zh, "message_en": self.en}


def check(text: object) -> str:
    """The transcript as text, or TranscriptError for empty, binary, huge or non-Chinese input."""
    if not isinstance(text, str):
        raise TranscriptError(
            "not_text",
            texts.text("agent", "transcript.errors.not_text"),
            "transcript must be a string",
        )
    if "\x00" in text or "\ufffd" in text:
        raise TranscriptError(
            "binary", texts.text("agent", "transcript.errors.binary"), "transcript looks binary"
        )
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    if controls > max(2, len(text) // 100):
        raise TranscriptError(
            "binary",
            texts.text("agent", "transcript.errors.control_chars"),
            "transcript contains control characters",
        )
    stripped = text.strip()
    if not stripped:
        raise TranscriptError(
            "empty", texts.text("agent", "transcript.errors.empty"), "transcript is empty"
        )
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise TranscriptError(
            "too_long",
            texts.text(
                "agent", "transcript.errors.too_long", length=len(text), limit=MAX_TRANSCRIPT_CHARS
            ),
            f"transcript has {len(text)} characters, more than the limit of {MAX_TRANSCRIPT_CHARS}",
        )
    cjk = sum(1 for ch in stripped if CJK_FIRST <= ord(ch) <= CJK_LAST)
    letters = sum(1 for ch in stripped if ch.isalpha())
    if cjk < MIN_CJK_CHARS or (letters and cjk / letters < MIN_CJK_SHARE):
        raise TranscriptError(
            "not_chinese",
            texts.text("agent", "transcript.errors.not_chinese"),
            "transcript is not in Chinese",
        )
    return text


#: The report form's slots in the order it asks them (domain.yml), as draft field names; also the
#: first of bot.intake.REPORT_SLOTS.
FIELDS = (
    "description",
    "categories",
    "location",
    "area",
    "time_text",
    "polluter",
    "evidence",
    "contact",
)

_LABELS = texts.table("agent", "draft.fields")
#: Each field's label for the agent (bot/data/texts/agent.yml `draft.fields`).
FIELD_LABELS: dict[str, str] = {name: str(_LABELS[name]) for name in FIELDS}


@lru_cache(maxsize=1)
def questions() -> dict[str, str]:
    """The report form's question for each field (bot/data/texts/citizen.yml `ask.*`)."""
    return {
        name.removeprefix("ask."): entry.text
        for name, entry in texts.catalogue("citizen").entries.items()
        if name.startswith("ask.")
    }


class WireError(ValueError):
    """The app's drafting answer is not what this module writes (a version mismatch, a proxy
    page): the channel says drafting is unavailable instead of guessing."""


def _str_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WireError(f"{name} must be a list of strings")
    return list(value)


def _mapping(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise WireError(f"{name} must be an object")
    return dict(value)


@dataclass(frozen=True)
class DraftWire:
    """The draft of a call as JSON between the app (`Draft.wire()`) and the hotline channel."""

    shape: str
    #: The caller's words, cleaned: the call's first message to the bot.
    complaint: str
    #: The fields the draft filled (names from FIELDS).
    fields: list[str]
    #: What bot.intake turns into slots (message metadata).
    slot_values: dict[str, Any]
    sources: dict[str, Any]
    notes: dict[str, Any]
    warnings: list[dict[str, str]] = field(default_factory=list)
    #: Why the call is not an environmental complaint (to be transferred), else None.
    transfer: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "complaint": self.complaint,
            "fields": self.fields,
            "slot_values": self.slot_values,
            "sources": self.sources,
            "notes": self.notes,
            "warnings": self.warnings,
            "transfer": self.transfer,
        }

    @classmethod
    def from_json(cls, body: Any) -> DraftWire:
        """Reads the app's answer, or WireError."""
        if not isinstance(body, Mapping):
            raise WireError("draft must be a JSON object")
        shape, complaint, transfer = body.get("shape"), body.get("complaint"), body.get("transfer")
        if not isinstance(shape, str) or not isinstance(complaint, str):
            raise WireError("shape and complaint must be strings")
        if transfer is not None and not isinstance(transfer, str):
            raise WireError("transfer must be a string or null")
        warnings = body.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, Mapping) for w in warnings):
            raise WireError("warnings must be a list of objects")
        return cls(
            shape=shape,
            complaint=complaint,
            fields=_str_list(body.get("fields"), "fields"),
            slot_values=_mapping(body.get("slot_values"), "slot_values"),
            sources=_mapping(body.get("sources", {}), "sources"),
            notes=_mapping(body.get("notes", {}), "notes"),
            warnings=[{str(k): str(v) for k, v in w.items()} for w in warnings],
            transfer=transfer,
        )
