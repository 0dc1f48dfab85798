"""One citizen message being read: what it said (extracted once) and the slot changes it makes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.intake.context import Context
from bot.nlp.extraction import Extraction

logger = logging.getLogger(__name__)


@dataclass
class Update:
    """Slot values to set, and messages ({"text", "buttons"?} from the catalogue) to send, in order.

    `ends_report`: the message turned out not to be ours; the report in progress ends with
    the messages (where to go) and nothing is filed.
    """

    slots: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ends_report: bool = False

    def add(self, other: Update) -> None:
        self.slots.update(other.slots)
        self.messages.extend(other.messages)
        self.ends_report = self.ends_report or other.ends_report


@dataclass(frozen=True)
class Turn:
    """A message during a report, with the one extraction every slot handler reads from."""

    text: str
    intent: str | None
    form_active: bool
    requested_slot: str | None
    #: The slot values before this message.
    slots: Mapping[str, Any]
    ctx: Context
    ex: Extraction
    #: Known categories the message names (油烟/扬尘 kept fine).
    found: list[str]
    #: Slots this message answered as the form's question: other handlers leave them alone.
    answered: frozenset[str] = frozenset()

    def empty(self, name: str, upd: Update) -> bool:
        """Nobody has said this yet: not answered now, not set before, not set by this message."""
        return name not in self.answered and not self.slots.get(name) and not upd.slots.get(name)
