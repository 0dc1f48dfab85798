"""Settings in one place, read from the environment (and `.env`), never at import of other modules.

Both runtimes read settings through this module: the app side (pydantic 2) and the Rasa server's
channels (pydantic 1). So it is written with the standard library alone: a dataclass whose
defaults come from the environment, checked in `__post_init__` with messages that name the
variable. pydantic-settings would do the reading for us, but only in one of the two runtimes.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"

#: 部署地 defaults, the one place they are written: a bare county or town name is resolved inside
#: this province and city unless GW_DEPLOYMENT_PROVINCE / GW_DEPLOYMENT_CITY say otherwise.
DEFAULT_PROVINCE = "四川省"
DEFAULT_CITY = "绵阳市"
#: Header carrying the shared internal token between the channels (Rasa side) and the app.
TOKEN_HEADER = "X-GW-Token"
#: Where `make run` keeps the generated internal token, so CLIs in another terminal find it.
INTERNAL_TOKEN_FILE = PROJECT_ROOT / "var" / "internal_token"

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


class SecretStr:
    """A secret that never shows in a repr, a log line or a traceback (as pydantic's SecretStr)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a `.env` file (comments, blank lines and `export ` allowed)."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _lookup(*names: str) -> str | None:
    """The first of `names` set in the environment, else in `.env` (the environment wins)."""
    for name in names:
        if name in os.environ:
            return os.environ[name]
    dotenv = _dotenv(Path(".env"))
    for name in names:
        if name in dotenv:
            return dotenv[name]
    return None


def _env(name: str, parse: Callable[[str], T], default: Callable[[], T], *aliases: str) -> Any:
    """A dataclass field whose default is read from the environment when the instance is made."""

    def factory() -> T:
        raw = _lookup(name, *aliases)
        if raw is None:
            return default()
        try:
            return parse(raw)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{name}={raw!r} is not valid: {exc}") from None

    return field(default_factory=factory, metadata={"env": name})


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def secret_value(secret: SecretStr | None) -> str:
    """The secret's text, or "" when it is unset."""
    return secret.get_secret_value() if secret is not None else ""


def _secret(raw: str) -> SecretStr | None:
    return SecretStr(raw) if raw else None


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _int_map(raw: str) -> dict[str, int]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object such as {"大气": 10}')
    return {str(k): int(v) for k, v in value.items()}


def _optional_int(raw: str) -> int | None:
    return int(raw) if raw.strip() else None


def _default_sqlite_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'greenwhistle.db'}"


def _gw(name: str, parse: Callable[[str], T], default: Callable[[], T]) -> Any:
    return _env(f"GW_{name.upper()}", parse, default)


def _none() -> None:
    return None


@dataclass
class Settings:
    """Deployment settings. `DATABASE_URL` is read as is; everything else has the `GW_` prefix.

    Keyword arguments win over the environment, as with pydantic-settings: `Settings(timezone=…)`.
    """

    database_url: str = _env("DATABASE_URL", str, _default_sqlite_url, "GW_DATABASE_URL")
    #: 部署地: a bare county or town name is resolved inside this province and city.
    deployment_province: str = _gw("deployment_province", str, lambda: DEFAULT_PROVINCE)
    deployment_city: str = _gw("deployment_city", str, lambda: DEFAULT_CITY)
    timezone: str = _gw("timezone", str, lambda: "Asia/Shanghai")
    ticket_prefix: str = _gw("ticket_prefix", str, lambda: "HB")
    #: Key that Open311 POST clients must send as `api_key`; POST is refused while unset.
    open311_api_key: SecretStr | None = _gw("open311_api_key", _secret, _none)
    #: Where the Rasa server is, for pushing status updates through its channels.
    rasa_url: str = _gw("rasa_url", str, lambda: "http://127.0.0.1:5005")
    #: Shared secret of the channels (Rasa side) and the app's /internal/channels API; the API
    #: refuses every request while it is unset.
    internal_token: SecretStr | None = _gw("internal_token", _secret, _none)
    #: Evidence files from the channels (photos, videos, voice), stored by SHA-256.
    evidence_dir: Path = _gw("evidence_dir", Path, lambda: PROJECT_ROOT / "var" / "evidence")
    max_evidence_bytes: int = _gw("max_evidence_bytes", int, lambda: 25 * 1024 * 1024)
    log_level: str = _gw("log_level", str, lambda: "INFO")
    #: How long a SQLite write waits for a lock before the store reports itself unavailable.
    sqlite_busy_timeout_s: float = _gw("sqlite_busy_timeout_s", float, lambda: 10.0)
    #: 办理时限 overrides (bot/data/deadlines.yml has the defaults): working days.
    accept_days: int | None = _gw("accept_days", _optional_int, _none)
    handle_days: dict[str, int] = _gw("handle_days", _int_map, dict)
    soon_due_days: int | None = _gw("soon_due_days", _optional_int, _none)
    #: Staff console sessions: lifetime, and whether the cookie needs HTTPS (behind a proxy).
    console_session_hours: float = _gw("console_session_hours", float, lambda: 10.0)
    console_secure_cookie: bool = _gw("console_secure_cookie", _bool, lambda: False)
    #: Duplicate detection: how far back and how near (metres) an open issue counts as the same.
    duplicate_window_days: int = _gw("duplicate_window_days", int, lambda: 30)
    duplicate_distance_m: float = _gw("duplicate_distance_m", float, lambda: 300.0)
    #: 重复举报: this many reports of one place/polluter in the window make it a hot spot.
    hotspot_threshold: int = _gw("hotspot_threshold", int, lambda: 3)
    #: Token of Rasa's HTTP API (`rasa run --enable-api --auth-token`): always required. `make run`
    #: makes one and keeps it in var/rasa_token (mode 600) unless this is set.
    rasa_token: SecretStr | None = _gw("rasa_token", _secret, _none)
    #: Shared secret the Rasa server sends the action server in a header (endpoints.yml `headers:`);
    #: the action server refuses calls without it. Made and kept in var/action_token unless set.
    action_token: SecretStr | None = _gw("action_token", _secret, _none)
    #: Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated); from any
    #: other peer the header is ignored and the peer's own address counts.
    trusted_proxies: tuple[str, ...] = _gw("trusted_proxies", _csv, tuple)
    #: The longest chat message accepted (characters); longer ones get a polite refusal or 413.
    max_message_chars: int = _gw("max_message_chars", int, lambda: 4000)
    #: Message text in DEBUG logs is personal data: off unless an operator switches it on.
    log_message_text: bool = _gw("log_message_text", _bool, lambda: False)
    #: Redis shared by several Rasa servers (docs/deployment.md): WeChat's de-duplication,
    #: replay claims, 48-hour window, unsubscribes, menus, access token and inbox, and the leases
    #: of hotline calls and resent REST messages. Unset (one machine): all of that stays in the
    #: Rasa process's memory.
    redis_url: str = _gw("redis_url", str, str)
    #: Where the app is, for the Rasa server's channels (evidence upload).
    app_url: str = _gw("app_url", str, lambda: "http://127.0.0.1:8000")
    #: The WeChat official account (公众号), read by the channel in the Rasa server (docs/wechat.md).
    wechat_app_id: str = _env("WECHAT_APP_ID", str, str)
    wechat_secret: SecretStr | None = _env("WECHAT_SECRET", _secret, _none)
    wechat_token: SecretStr | None = _env("WECHAT_TOKEN", _secret, _none)
    wechat_aes_key: SecretStr | None = _env("WECHAT_AES_KEY", _secret, _none)
    wechat_template_id: str = _env("WECHAT_TEMPLATE_ID", str, str)
    wechat_api_base_url: str = _env("WECHAT_API_BASE_URL", str, str)
    wechat_service_window_hours: float = _env("WECHAT_SERVICE_WINDOW_HOURS", float, lambda: 48.0)

    def __post_init__(self) -> None:
        for name in (
            "open311_api_key",
            "internal_token",
            "rasa_token",
            "action_token",
            "wechat_secret",
            "wechat_token",
            "wechat_aes_key",
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, _secret(value))
            elif value is not None and not isinstance(value, SecretStr):
                # a pydantic SecretStr or anything else that keeps a secret the same way
                setattr(self, name, _secret(str(value.get_secret_value())))
        self.evidence_dir = Path(self.evidence_dir)
        self._check()

    def _check(self) -> None:
        def fail(attr: str, why: str) -> None:
            env = next(f.metadata.get("env", attr) for f in fields(self) if f.name == attr)
            raise SettingsError(f"{env}={getattr(self, attr)!r}: {why}")

        if not self.database_url:
            fail("database_url", "the ledger needs a database URL")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            fail("timezone", "not a time zone name such as Asia/Shanghai")
        if logging.getLevelName(str(self.log_level).upper()) == f"Level {self.log_level}":
            fail("log_level", "one of DEBUG, INFO, WARNING, ERROR")
        if not (self.ticket_prefix.isalpha() and 2 <= len(self.ticket_prefix) <= 4):
            fail("ticket_prefix", "2 to 4 letters")
        self.trusted_proxies = tuple(self.trusted_proxies)
        for attr in (
            "max_evidence_bytes",
            "duplicate_window_days",
            "hotspot_threshold",
            "max_message_chars",
        ):
            if getattr(self, attr) <= 0:
                fail(attr, "must be positive")
        for attr in (
            "sqlite_busy_timeout_s",
            "console_session_hours",
            "duplicate_distance_m",
            "wechat_service_window_hours",
        ):
            if getattr(self, attr) <= 0:
                fail(attr, "must be positive")
        for attr in ("accept_days", "soon_due_days"):
            value = getattr(self, attr)
            if value is not None and value < 0:
                fail(attr, "must not be negative")
        if any(days <= 0 for days in self.handle_days.values()):
            fail("handle_days", "every category needs a positive number of working days")
        if not self.deployment_province or not self.deployment_city:
            fail("deployment_city", "the deployment needs a province and a city")

    def model_copy(self, update: Mapping[str, Any] | None = None) -> Settings:
        """A copy with some fields replaced (the name pydantic gives it, kept for callers)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(update or {})
        return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    settings = Settings()
    if settings.internal_token is None and INTERNAL_TOKEN_FILE.is_file():
        settings.internal_token = SecretStr(INTERNAL_TOKEN_FILE.read_text().strip())
    return settings
