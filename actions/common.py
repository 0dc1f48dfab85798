"""What every action needs: the case store, the deployment context, the input channel."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from bot.casework import CaseStore, Channel, get_store
from bot.config import get_settings
from bot.intake import Context

logger = logging.getLogger(__name__)

_CHANNELS: dict[str, Channel] = {"rest": "rest", "wechat": "wechat", "hotline": "hotline"}


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
    """rest / wechat / hotline; anything else (cmdline, socket tests) counts as rest."""
    return _CHANNELS.get(tracker.get_latest_input_channel() or "rest", "rest")


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """The latest message's metadata. The `hotline` part (call id, the channel's draft) counts
    only on the hotline channel: a REST client can send any metadata it likes."""
    metadata = tracker.latest_message.get("metadata")
    if not isinstance(metadata, dict):
        return {}
    if "hotline" in metadata and channel_of(tracker) != "hotline":
        return {k: v for k, v in metadata.items() if k != "hotline"}
    return metadata


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    intent: dict[str, Any] = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None
