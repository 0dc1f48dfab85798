"""What every action needs: the case store, the deployment context, the input channel."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker

from bot.casework import CaseStore, Channel, get_store
from bot.config import get_settings
from bot.intake import Context

logger = logging.getLogger(__name__)

#: Each channel's conversation namespace (connectors/): the hotline keeps a call as
#: `hotline:<call_id>`, REST a client's conversation as `rest:<sender>`, WeChat a citizen's as
#: their bare openid (letters, digits, `_` and `-`; connectors/wechat_support.OPENID_RE).
HOTLINE_PREFIX = "hotline:"
OPENID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: The metadata each channel sets and the bot may read; REST clients' metadata is never read.
_METADATA_KEYS: dict[Channel, frozenset[str]] = {
    "hotline": frozenset({"hotline"}),
    "wechat": frozenset({"wechat", "location", "evidence"}),
    "rest": frozenset(),
}


class StoreAction:
    """Mixin: an action that uses the case store; tests pass their own store."""

    def __init__(self, store: CaseStore | None = None) -> None:
        self._store = store

    @property
    def store(self) -> CaseStore:
        if self._store is None:
            self._store = get_store()
        return self._store


def context() -> Context:
    s = get_settings()
    return Context(province=s.deployment_province, city=s.deployment_city, timezone=s.timezone)


def channel_of(tracker: Tracker) -> Channel:
    """The channel whose powers the latest message has: hotline (call ids, agent ids, drafts),
    wechat (pushes to the openid), else rest, which has none.

    The input channel is believed only when the conversation is in that channel's namespace:
    Rasa takes the input channel from whatever sent the message, and a channel that let the
    client name it (Rasa's own REST channel did) would otherwise hand out the hotline's or
    WeChat's identity. Anything else (a mismatch, cmdline, socket tests) counts as rest.
    """
    received = tracker.get_latest_input_channel()
    sender = str(tracker.sender_id or "")
    if received == "hotline" and sender.startswith(HOTLINE_PREFIX):
        return "hotline"
    if received == "wechat" and OPENID_RE.match(sender):
        return "wechat"
    return "rest"


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """The latest message's metadata, only the parts its channel sets: the hotline's call and
    draft on the hotline, WeChat's message, pin and evidence on WeChat, nothing on REST."""
    metadata = tracker.latest_message.get("metadata")
    if not isinstance(metadata, dict):
        return {}
    keys = _METADATA_KEYS[channel_of(tracker)]
    return {k: v for k, v in metadata.items() if k in keys}


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    intent: dict[str, Any] = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None
