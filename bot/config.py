"""Settings in one place, read from the environment (and `.env`), never at import of other modules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"


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
    deployment_province: str = "四川省"
    deployment_city: str = "绵阳市"
    timezone: str = "Asia/Shanghai"
    ticket_prefix: str = "HB"
    #: Key that Open311 POST clients must send as `api_key`; POST is refused while unset.
    open311_api_key: SecretStr | None = None
    #: Where the Rasa server is, for pushing status updates through its channels.
    rasa_url: str = "http://127.0.0.1:5005"
    log_level: str = "INFO"
    #: How long a SQLite write waits for a lock before the store reports itself unavailable.
    sqlite_busy_timeout_s: float = 10.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    return Settings()
