"""HTTP edges of the case store; shared FastAPI dependencies live here so routers stay small."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from bot.casework.store import CaseStore, get_store
from bot.config import Settings, get_settings
from bot.exceptions import StoreUnavailable

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
    try:
        store = get_store()
    except (OSError, SQLAlchemyError) as exc:
        # A bad DATABASE_URL or an unwritable SQLite folder: answer 503, not a traceback.
        logger.error("case store cannot be built: %s", type(exc).__name__)
        raise StoreUnavailable("case store cannot be built") from exc
    request.app.state.store = store
    return store
