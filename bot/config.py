"""Settings in one place, read from the environment (and `.env`), never at import of other modules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"

#: 部署地 defaults, the one place they are written: a bare county or town name is resolved inside
#: this province and city unless GW_DEPLOYMENT_PROVINCE / GW_DEPLOYMENT_CITY say otherwise.
DEFAULT_PROVINCE = "四川省"
DEFAULT_CITY = "绵阳市"
#: Header carrying the shared internal token between the channels (Rasa side) and the app.
TOKEN_HEADER = "X-GW-Token"


def _default_sqlite_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'greenwhistle.db'}"


class Settings(BaseSettings):
    """Deployment settings. `DATABASE_URL` is read as is; everything else has the `GW_` prefix."""

    model_config = SettingsConfigDict(env_prefix="GW_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=_default_sqlite_url,
        validation_alias=AliasChoices("DATABASE_URL", "GW_DATABASE_URL"),
    )
    #: 部署地: a bare county or town name is resolved inside this province and city.
    deployment_province: str = DEFAULT_PROVINCE
    deployment_city: str = DEFAULT_CITY
    timezone: str = "Asia/Shanghai"
    ticket_prefix: str = "HB"
    #: Key that Open311 POST clients must send as `api_key`; POST is refused while unset.
    open311_api_key: SecretStr | None = None
    #: Where the Rasa server is, for pushing status updates through its channels.
    rasa_url: str = "http://127.0.0.1:5005"
    #: Shared secret of the channels (Rasa side) and the app's /internal/channels API; the API
    #: refuses every request while it is unset.
    internal_token: SecretStr | None = None
    #: Evidence files from the channels (photos, videos, voice), stored by SHA-256.
    evidence_dir: Path = Field(default_factory=lambda: PROJECT_ROOT / "var" / "evidence")
    max_evidence_bytes: int = 25 * 1024 * 1024
    log_level: str = "INFO"
    #: How long a SQLite write waits for a lock before the store reports itself unavailable.
    sqlite_busy_timeout_s: float = 10.0
    #: 办理时限 overrides (bot/data/deadlines.yml has the defaults): working days.
    accept_days: int | None = None
    handle_days: dict[str, int] = Field(default_factory=dict)
    soon_due_days: int | None = None
    #: Staff console sessions: lifetime, and whether the cookie needs HTTPS (behind a proxy).
    console_session_hours: float = 10.0
    console_secure_cookie: bool = False
    #: Duplicate detection: how far back and how near (metres) an open issue counts as the same.
    duplicate_window_days: int = 30
    duplicate_distance_m: float = 300.0
    #: 重复举报: this many reports of one place/polluter in the window make it a hot spot.
    hotspot_threshold: int = 3


#: Where `make run` keeps the generated internal token, so CLIs in another terminal find it.
INTERNAL_TOKEN_FILE = PROJECT_ROOT / "var" / "internal_token"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    settings = Settings()
    if settings.internal_token is None and INTERNAL_TOKEN_FILE.is_file():
        settings.internal_token = SecretStr(INTERNAL_TOKEN_FILE.read_text().strip())
    return settings
