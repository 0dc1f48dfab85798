"""The one clock: timezone-aware UTC now, for models, commands and pages alike."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
