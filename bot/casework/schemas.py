"""Wire and service-layer shapes (pydantic 2): what callers give the store and get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from bot.casework.catalog import categories
from bot.casework.sources import sources
from bot.nlp.privacy import normalise_phone

Channel = Literal["rest", "wechat", "hotline", "staff", "open311"]


class IssueDraft(BaseModel):
    """A confirmed report, ready to be filed. Validation messages are for staff and logs."""

    channel: Channel
    client_ref: str | None = Field(default=None, max_length=128)
    reporter_sender_id: str | None = Field(default=None, max_length=128)
    reporter_name: str | None = Field(default=None, max_length=64)
    reporter_phone: str | None = None
    anonymous: bool = False
    categories: list[str] = Field(min_length=1)
    phenomenon: str = Field(min_length=1, max_length=4000)
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    town: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=1000)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    time_text: str | None = Field(default=None, max_length=200)
    polluter: str | None = Field(default=None, max_length=200)
    has_evidence: bool | None = None
    evidence_text: str | None = Field(default=None, max_length=4000)
    original_text: str = Field(default="", max_length=20000)
    #: Hotline work orders (migration 0004): the call, the agent who took it, when it started.
    call_id: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=64)
    call_started_at: AwareDatetime | None = None
    #: A borderline matter: the scope rule it matched (bot/data/scope.yml), shown to staff.
    scope_rule: str | None = Field(default=None, max_length=300)
    #: Registered by staff (migration 0008): 登记来源 (bot/data/sources.yml), 受理编号, batch
    #: (第N批), 交办时间 and the table import it came with.
    source: str | None = Field(default=None, max_length=16)
    external_ref: str | None = Field(default=None, max_length=64)
    batch: str | None = Field(default=None, max_length=32)
    handed_over_at: AwareDatetime | None = None
    import_run_id: int | None = None

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value not in sources():
            raise ValueError(f"unknown source: {value}")
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        known = categories()
        unknown = [c for c in value if c not in known]
        if unknown:
            raise ValueError(f"unknown categories: {unknown}")
        return list(dict.fromkeys(value))

    @field_validator("reporter_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        phone = normalise_phone(value)
        if phone is None:
            raise ValueError("not a phone number")
        return phone


class EventView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    note: str | None


class IssueView(BaseModel):
    """An issue as read from the store, detached from any session."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket: str
    client_ref: str | None
    channel: str
    reporter_sender_id: str | None
    reporter_name: str | None
    reporter_phone: str | None
    anonymous: bool
    categories: list[str]
    phenomenon: str
    province: str | None
    city: str | None
    district: str | None
    town: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    time_text: str | None
    polluter: str | None
    has_evidence: bool | None
    evidence_text: str | None
    original_text: str
    status: str
    created_at: datetime
    updated_at: datetime
    events: list[EventView] = []
    # Case management (bot/casework/lifecycle.py, bot/casework/routing.py, bot/casework/deadlines.py)
    department: str | None = None
    route_rule: str | None = None
    accept_due: datetime | None = None
    handle_due: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    result_text: str | None = None
    satisfaction: str | None = None
    merged_into_id: int | None = None
    hotspot: bool = False
    duplicate_count: int = 0
    # Hotline work orders (migration 0004)
    call_id: str | None = None
    agent_id: str | None = None
    scope_rule: str | None = None
    call_started_at: datetime | None = None
    # Registration by staff (migration 0008)
    source: str | None = None
    external_ref: str | None = None
    batch: str | None = None
    handed_over_at: datetime | None = None
    import_run_id: int | None = None
    # Results for publication, recorded at 办结 (migration 0009, bot/casework/results.py)
    verification: str | None = None
    verdict: str | None = None
    rectification: str | None = None
    accountability: str | None = None

    @property
    def area_text(self) -> str:
        """省市区镇 as far as known, for messages and the ledger."""
        return "".join(p for p in (self.province, self.city, self.district, self.town) if p)
