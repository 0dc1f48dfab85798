"""The report form's fields as a hotline draft names them, their labels and the form's questions.

Defined here, not in bot.intake, because the connectors import this package in the Rasa
environment, where bot.intake (pydantic 2) cannot be imported.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from bot import texts

logger = logging.getLogger(__name__)

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
