"""What a report field may hold: length limits, and the stored answer words (不详, 匿名, 无 …).

The words are slot values and also what the read-back shows, so they live in the citizen catalogue
(bot/data/texts/citizen.yml, section `intake`); code compares stored answers with these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot import texts

logger = logging.getLogger(__name__)

#: Longest piece of one message kept in a report field; the full words go to original_text.
MAX_FIELD_CHARS = 1000
#: Longest text run through extraction (a pasted essay must not stall the bot).
MAX_EXTRACT_CHARS = 3000
MAX_ORIGINAL_CHARS = 20000


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """The text trimmed to `limit` characters, an ellipsis marking the cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown() -> str:
    """The answer kept when the reporter does not know (area, polluter, time …)."""
    return texts.text("citizen", "intake.unknown")


def anonymous() -> str:
    """The contact kept for a reporter who leaves no phone number."""
    return texts.text("citizen", "intake.anonymous")


def no_evidence() -> str:
    return texts.text("citizen", "intake.no_evidence")


def evidence_later() -> str:
    """A bare yes to "do you have photos?": the evidence is to follow."""
    return texts.text("citizen", "intake.evidence_later")


def media_sent(kind: str) -> str:
    """已发送照片 for an image (kinds: image, video, voice, link)."""
    labels: dict[str, Any] = texts.table("citizen", "intake.media_sent")
    return str(labels.get(kind, kind))


def area_text(slots: Mapping[str, Any]) -> str:
    """The area answer, or "" when there is none or it was 不详."""
    area = slots.get("area")
    return "" if not area or area == unknown() else str(area)
