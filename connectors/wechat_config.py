"""The WeChat channel's settings (credentials file first, then environment variables), and the
gazetteer lookup that names the area of a location pin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.config import get_settings, secret_value
from connectors.wechat_support import DEFAULT_API_BASE_URL, SERVICE_WINDOW_S

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WeChatConfig:
    """The channel's settings: credentials file first, then environment variables."""

    app_id: str
    secret: str
    token: str
    aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    template_id: str = ""
    app_url: str = "http://127.0.0.1:8000"
    internal_token: str = ""
    send_attempts: int = 4
    api_timeout_s: float = 10.0
    service_window_s: float = SERVICE_WINDOW_S
    #: Redis shared by several Rasa servers (connectors/wechat_state.py); "" keeps it in memory.
    redis_url: str = ""

    @classmethod
    def from_credentials(cls, creds: dict[str, Any]) -> WeChatConfig:
        s = get_settings()

        def get(key: str, fallback: str) -> str:
            """credentials.yml first (Rasa fills ${VAR} there), then the settings."""
            value = creds.get(key)
            return str(value) if value not in (None, "") else fallback

        return cls(
            app_id=get("app_id", s.wechat_app_id),
            secret=get("secret", secret_value(s.wechat_secret)),
            token=get("token", secret_value(s.wechat_token)),
            aes_key=get("aes_key", secret_value(s.wechat_aes_key)),
            api_base_url=get("api_base_url", s.wechat_api_base_url) or DEFAULT_API_BASE_URL,
            template_id=get("template_id", s.wechat_template_id),
            app_url=get("app_url", s.app_url).rstrip("/"),
            internal_token=get("internal_token", secret_value(s.internal_token)),
            service_window_s=float(get("service_window_hours", str(s.wechat_service_window_hours)))
            * 3600,
            redis_url=get("redis_url", s.redis_url),
        )


def area_resolver() -> Callable[[str], str | None] | None:
    """The gazetteer of bot.nlp.extraction (pure Python) names the area of a pin's address label."""
    try:
        from bot.nlp.extraction import extract
    except ImportError:  # pragma: no cover - the extraction package is part of the repository
        logger.warning("bot.nlp.extraction not importable: location pins keep their label only")
        return None
    settings = get_settings()
    province, city = settings.deployment_province, settings.deployment_city

    def resolve(label: str) -> str | None:
        place = extract(label, province=province, city=city).place
        if place is None or place.is_ambiguous or not (place.district or place.town):
            return None
        return place.area_text or None

    return resolve
