"""Reply texts for the custom actions: the citizen catalogue (bot/data/texts/citizen.yml)."""

from __future__ import annotations

from typing import Any

from bot import texts


def render(key: str, **variables: Any) -> dict[str, Any]:
    """The message for a dotted key (e.g. "status.need_phone"): {"text": …, "buttons": […]}.

    Unknown placeholders render empty rather than crash: a missing variable must never cost a
    citizen their answer.
    """
    return texts.message("citizen", key, **variables)
