"""The deployment context of a conversation: where a bare county or town name is resolved."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import DEFAULT_CITY, DEFAULT_PROVINCE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """Deployment context: a bare county or town name is resolved inside this city."""

    province: str = DEFAULT_PROVINCE
    city: str = DEFAULT_CITY
    timezone: str = "Asia/Shanghai"
