"""Conversation turns → report fields, summaries and filing drafts (runs in the action server).

The actions import from here only; the modules each do one part: `messages` (one message → slot
changes), `slots` (the per-slot handlers), `places`, `categories`, `hotline`, `summary`, `drafts`,
`status`, and `values` (what a field may hold).
"""

from bot.intake.context import Context
from bot.intake.drafts import build_draft
from bot.intake.messages import interpret
from bot.intake.opening import Triage, triage
from bot.intake.places import ambiguity_message, pin_notice
from bot.intake.slots import REPORT_SLOTS
from bot.intake.status import Lookup, asks_status, look_up, may_view, status_variables
from bot.intake.summary import summary_variables
from bot.intake.turn import Update

__all__ = [
    "REPORT_SLOTS",
    "Context",
    "Lookup",
    "Triage",
    "Update",
    "ambiguity_message",
    "asks_status",
    "build_draft",
    "interpret",
    "look_up",
    "may_view",
    "pin_notice",
    "status_variables",
    "summary_variables",
    "triage",
]
