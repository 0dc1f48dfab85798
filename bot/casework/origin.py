"""Where an issue came from, as publishing reads it: its source, its 受理编号 and its batch.

Migration 0008 (issue 18, parts 1–2: 登记 for every source and batch import) adds the issue's
`source` (督察交办, 来信, 网格员巡查… as in bot/data/sources.yml), `external_ref` (受理编号 of a
hand-over table) and `batch` (第N批). Issues without them (chat channels, hotline) fall back on
what the ledger has: the channel's label as the source, the ticket as the 受理编号, no batch
(an object without these attributes, such as a row of another query, is read the same way).
Everything about an issue's origin that bot/casework/results.py and bot/casework/disclosure.py
need goes through this module.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.casework.ledger import CHANNEL_LABELS

logger = logging.getLogger(__name__)

#: The columns of migration 0008, by name.
SOURCE = "source"
RECEIPT_NO = "external_ref"
BATCH_NO = "batch"


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def source_of(issue: Any) -> str:
    """The issue's source (督察交办…), else its channel's label (微信, 热线…)."""
    return _text(getattr(issue, SOURCE, None)) or CHANNEL_LABELS.get(issue.channel, issue.channel)


def receipt_no_of(issue: Any) -> str:
    """受理编号: the hand-over table's number, else the ledger's ticket."""
    return _text(getattr(issue, RECEIPT_NO, None)) or issue.ticket


def batch_no_of(issue: Any) -> str:
    """The batch (第N批) of a hand-over, or "" when the issue came in alone."""
    return _text(getattr(issue, BATCH_NO, None))
