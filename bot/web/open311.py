"""Open311 GeoReport v2 (JSON only): the common API of civic issue trackers, over our ledger.

See http://wiki.open311.org/GeoReport_v2. Choices where the spec leaves room:

- Only `.json`; `jurisdiction_id` is accepted and ignored (one deployment = one jurisdiction).
- `GET requests.json` without start_date/end_date covers the most recent 90 days (the spec's
  default); with either date given there is no implicit window. Newest first, at most 1000.
  Naive datetimes are read in the deployment's time zone; a date alone means that whole day.
- `service_code` filters match an issue filed under that category among others too.
- `status_notes` is the newest staff note when it came with the current status, else the
  citizen text of the status (statuses.yml). Phone numbers in any text are masked.
- Reporter identity (sender id, name, phone) never appears in output (举报保护).
- `POST requests.json` needs `api_key`; `email`, `device_id` and `account_id` are not stored.
  Its body may be at most MAX_BODY_BYTES (413 otherwise, checked before parsing: bot/web/edges.py).
  The same POST again within REPLAY_WINDOW (same key, service_code, description and location)
  answers with the first request's id instead of filing the report twice; a repeat that arrives
  while the first is still being filed gets 409.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException
from pydantic import BaseModel, ValidationError

from bot import texts
from bot.casework import queries
from bot.casework.catalog import Category, categories, category_by_service_code, statuses
from bot.casework.replays import Replays, fingerprint
from bot.casework.schemas import IssueDraft, IssueView
from bot.casework.store import CaseStore
from bot.casework.tickets import normalise_ticket
from bot.clock import utcnow
from bot.config import Settings
from bot.exceptions import InvalidReport, IssueNotFound, NotAuthorized
from bot.nlp.extraction.keywords import description_keywords
from bot.nlp.privacy import mask_phones_in_text
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/open311/v2", tags=["open311"])

MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
#: The largest POST body: a full report (4000-character description and media_url, a long
#: address), percent-encoded, fits with room to spare.
MAX_BODY_BYTES = 128 * 1024
#: A POST repeated within this long returns the first request's id.
REPLAY_WINDOW = timedelta(minutes=10)

StoreDep = Annotated[CaseStore, Depends(case_store)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
FormStr = Annotated[str | None, Form()]


class Service(BaseModel):
    """One service (a category of complaint) as GeoReport v2 lists it."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceRequest(BaseModel):
    """One service request as GeoReport v2 lists it; no reporter identity, by design."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class PostedRequest(BaseModel):
    """The answer to a filed request: its ticket and what the citizen would be told."""

    service_request_id: str
    service_notice: str
    account_id: str | None


class Open311Error(BaseModel):
    """Errors come as a list of these, with the HTTP status as `code` (bot/web/app.py)."""

    code: int
    description: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": list[Open311Error]} for status in (400, 403, 404, 409, 413, 500, 503)
}


# -- shapes ------------------------------------------------------------------------------------
#: Open311 names of IssueDraft fields, so validation errors speak the client's language.
_FORM_NAMES = {
    "phenomenon": "description",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "reporter_phone": "phone",
    "reporter_name": "first_name/last_name",
    "evidence_text": "media_url",
}


def service_of(category: Category) -> Service:
    words = [category.name, *description_keywords(category.description)]
    if category.parent:
        words.append(category.parent)
    return Service(
        service_code=category.service_code,
        service_name=category.name,
        description=category.description,
        metadata=False,
        type="realtime",
        keywords=",".join(dict.fromkeys(w for w in words if w)),
        group=texts.text("staff", "open311.service_group"),
    )


def _iso(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).replace(microsecond=0).isoformat()


def status_notes(issue: IssueView) -> str | None:
    """A staff note given with the current status wins; otherwise the status's citizen text."""
    latest = issue.events[-1] if issue.events else None
    if latest and latest.note and latest.actor != "system" and latest.to_status == issue.status:
        return mask_phones_in_text(latest.note)
    status = statuses().get(issue.status)
    return status.citizen if status else None


def request_of(issue: IssueView, tz: ZoneInfo) -> ServiceRequest:
    """One ledger issue as an Open311 service request, without any reporter identity."""
    status = statuses().get(issue.status)
    first = categories().get(issue.categories[0]) if issue.categories else None
    # The address stays, phone numbers written into it do not (举报保护).
    address = f"{issue.area_text}{mask_phones_in_text(issue.address)}".strip()
    return ServiceRequest(
        service_request_id=issue.ticket,
        status="closed" if status is not None and not status.open else "open",
        status_notes=status_notes(issue),
        service_name=first.name if first else None,
        service_code=first.service_code if first else None,
        description=mask_phones_in_text(issue.phenomenon),
        agency_responsible=None,
        service_notice=None,
        requested_datetime=_iso(issue.created_at, tz),
        updated_datetime=_iso(issue.updated_at, tz),
        expected_datetime=None,
        address=address or None,
        address_id=None,
        zipcode=None,
        lat=issue.latitude,
        long=issue.longitude,
        media_url=None,
    )


# -- query parsing ------------------------------------------------------------------------------
def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_when(value: str, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """ISO 8601 as clients really send it: `+` decoded to a space, `Z`, date only, no offset."""
    raw = value.strip()
    raw = re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw)  # an unencoded '+' arrives as a space
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise HTTPException(
            400, texts.text("staff", "open311.errors.bad_datetime", value=repr(value))
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _service_categories(service_code: str | None) -> list[str] | None:
    codes = _split(service_code)
    if not codes:
        return None
    names = []
    for code in codes:
        category = category_by_service_code(code)
        if category is None:
            raise HTTPException(
                400, texts.text("staff", "open311.errors.unknown_service_code", code=repr(code))
            )
        names.append(category.name)
    return names


def _status_codes(status: str | None) -> list[str] | None:
    wanted = set(_split(status))
    if not wanted:
        return None
    if not wanted <= {"open", "closed"}:
        raise HTTPException(
            400, texts.text("staff", "open311.errors.bad_status", status=repr(status))
        )
    if wanted == {"open", "closed"}:
        return None
    want_open = wanted == {"open"}
    return [code for code, s in statuses().items() if s.open == want_open]


# -- endpoints ---------------------------------------------------------------------------------
@router.get("/services.json", response_model=list[Service], responses=ERRORS)
def list_services(jurisdiction_id: str | None = None) -> list[Service]:
    return [service_of(c) for c in categories().values()]


@router.get("/requests.json", response_model=list[ServiceRequest], responses=ERRORS)
def list_requests(
    store: StoreDep,
    settings: SettingsDep,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    jurisdiction_id: str | None = None,
) -> list[ServiceRequest]:
    """Newest first; `service_request_id` overrides every other filter, as the spec says."""
    tz = ZoneInfo(settings.timezone)
    ids = _split(service_request_id)
    if ids:
        found = (store.get(normalise_ticket(i) or i) for i in ids[:MAX_REQUESTS])
        issues = sorted((i for i in found if i), key=lambda i: i.created_at, reverse=True)
        return [request_of(i, tz) for i in issues]
    start = parse_when(start_date, tz) if start_date else None
    end = parse_when(end_date, tz, end_of_day=True) if end_date else None
    if start is None and end is None:
        start = utcnow() - DEFAULT_WINDOW
    issues = queries.service_requests(
        store,
        statuses=_status_codes(status),
        categories_any=_service_categories(service_code),
        start=start,
        end=end,
        limit=MAX_REQUESTS,
    )
    return [request_of(i, tz) for i in issues]


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    responses=ERRORS,
)
def get_request(
    service_request_id: str, store: StoreDep, settings: SettingsDep
) -> list[ServiceRequest]:
    issue = store.get(normalise_ticket(service_request_id) or service_request_id)
    if issue is None:
        raise IssueNotFound(
            texts.text("staff", "open311.errors.no_request", id=repr(service_request_id))
        )
    return [request_of(issue, ZoneInfo(settings.timezone))]


def _check_api_key(given: str | None, settings: Settings) -> None:
    """403 unless the key matches; the key itself is never logged or echoed."""
    expected = settings.open311_api_key
    if expected is None or not expected.get_secret_value():
        logger.warning("open311 POST refused: no api key configured (GW_OPEN311_API_KEY)")
        raise NotAuthorized(texts.text("staff", "open311.errors.post_disabled"))
    if not given or not secrets.compare_digest(
        given.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    ):
        logger.warning("open311 POST refused: missing or wrong api_key")
        raise NotAuthorized(texts.text("staff", "open311.errors.bad_api_key"))


def _coordinate(value: str | None, name: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise InvalidReport(texts.text("staff", "open311.errors.not_a_number", name=name)) from exc


def full_name(first_name: str | None, last_name: str | None) -> str | None:
    """张 + 三 → 张三 (family name first, no space) for Chinese names; 'First Last' otherwise."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not (first or last):
        return None
    if re.search(r"[\u4e00-\u9fff]", first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def repair_raw_utf8(value: str | None) -> str | None:
    """Undoes Starlette's latin-1 reading of raw (not %-encoded) UTF-8, as `curl -d 描述` sends."""
    if not value or not any("\x80" <= ch <= "\xff" for ch in value):
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _draft_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "request"
        parts.append(f"{_FORM_NAMES.get(field, field)}: {err['msg']}")
    return "; ".join(parts)


@router.post("/requests.json", response_model=list[PostedRequest], responses=ERRORS)
def create_request(
    store: StoreDep,
    settings: SettingsDep,
    api_key: FormStr = None,
    service_code: FormStr = None,
    lat: FormStr = None,
    long: FormStr = None,
    address_string: FormStr = None,
    description: FormStr = None,
    first_name: FormStr = None,
    last_name: FormStr = None,
    phone: FormStr = None,
    email: FormStr = None,
    device_id: FormStr = None,
    account_id: FormStr = None,
    media_url: FormStr = None,
    jurisdiction_id: FormStr = None,
) -> list[PostedRequest]:
    """Files a report from another civic system into the ledger (channel `open311`)."""
    _check_api_key(api_key, settings)
    address_string, description = repair_raw_utf8(address_string), repair_raw_utf8(description)
    first_name, last_name = repair_raw_utf8(first_name), repair_raw_utf8(last_name)
    if not service_code:
        raise InvalidReport(texts.text("staff", "open311.errors.missing_service_code"))
    category = category_by_service_code(service_code.strip())
    if category is None:
        raise InvalidReport(
            texts.text("staff", "open311.errors.unknown_service_code", code=repr(service_code))
        )
    latitude, longitude = _coordinate(lat, "lat"), _coordinate(long, "long")
    if (latitude is None) != (longitude is None):
        raise InvalidReport(texts.text("staff", "open311.errors.lat_long_together"))
    address = (address_string or "").strip() or None
    if latitude is None and address is None:
        raise InvalidReport(texts.text("staff", "open311.errors.missing_location"))
    text = (description or "").strip()
    if not text:
        raise InvalidReport(texts.text("staff", "open311.errors.missing_description"))
    name = full_name(first_name, last_name)
    try:
        draft = IssueDraft(
            channel="open311",
            reporter_name=name,
            reporter_phone=phone,
            anonymous=not (name or (phone or "").strip()),
            categories=[category.name],
            phenomenon=text,
            address=address,
            latitude=latitude,
            longitude=longitude,
            has_evidence=bool(media_url) or None,
            evidence_text=media_url or None,
            original_text=text,
        )
    except ValidationError as exc:
        raise InvalidReport(_draft_errors(exc)) from exc
    assert api_key is not None  # checked above
    print_ = fingerprint(
        hashlib.sha256(api_key.encode("utf-8")).hexdigest(),
        category.service_code,
        " ".join(text.split()),
        repr(latitude),
        repr(longitude),
        " ".join((address or "").split()),
    )
    replays = Replays(store, window=REPLAY_WINDOW)
    claim = replays.claim(print_)
    if claim.ticket is not None:
        logger.info("open311 POST repeated: answered with %s", claim.ticket)
        return _posted(claim.ticket)
    if claim.pending:
        raise HTTPException(409, texts.text("staff", "security.replay_pending"))
    try:
        issue, _new = store.file(draft)
    except BaseException:
        replays.release(print_)
        raise
    replays.settle(print_, issue.ticket)
    return _posted(issue.ticket)


def _posted(ticket: str) -> list[PostedRequest]:
    received = statuses()["received"].citizen
    notice = texts.text("staff", "open311.notice", received=received, ticket=ticket)
    return [PostedRequest(service_request_id=ticket, service_notice=notice, account_id=None)]
