"""HTTP edges of the case store; shared FastAPI dependencies live here so routers stay small."""

from __future__ import annotations

import logging

from fastapi import Request

from bot.casework.store import CaseStore, open_store
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)


def app_settings(request: Request) -> Settings:
    """The settings the app was built with (tests pass their own)."""
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def case_store(request: Request) -> CaseStore:
    """The app's store; built from settings on first use, so nothing connects at import or start."""
    store = getattr(request.app.state, "store", None)
    if isinstance(store, CaseStore):
        return store
    store = open_store()  # StoreUnavailable (503) when it cannot even be built
    request.app.state.store = store
    return store
