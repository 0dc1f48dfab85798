"""The ledger and everything done to an issue: models, repository, commands, lifecycle, routing,
deadlines, notifications.

The actions use only what is exported here (an import-linter contract checks it). The names are
loaded on first use (PEP 562), so importing one module of the package (say, `models` from an
Alembic migration) does not pull in the commands and the notifier.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.casework.commands import CaseWork
    from bot.casework.schemas import Channel, IssueDraft, IssueView
    from bot.casework.store import CaseStore, get_store
    from bot.casework.tickets import normalise_ticket

_EXPORTS = {
    "CaseWork": "bot.casework.commands",
    "CaseStore": "bot.casework.store",
    "get_store": "bot.casework.store",
    "Channel": "bot.casework.schemas",
    "IssueDraft": "bot.casework.schemas",
    "IssueView": "bot.casework.schemas",
    "normalise_ticket": "bot.casework.tickets",
}

__all__ = [
    "CaseStore",
    "CaseWork",
    "Channel",
    "IssueDraft",
    "IssueView",
    "get_store",
    "normalise_ticket",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bot.casework' has no attribute {name!r}")
    return getattr(import_module(module), name)
