"""Open311 GeoReport v2 (JSON and XML): the common API of civic issue trackers, over our ledger.

See http://wiki.open311.org/GeoReport_v2. Choices where the spec leaves room:

- `.json` and `.xml` on every endpoint (errors in the same format); `jurisdiction_id` is accepted
  and ignored (one deployment = one jurisdiction).
- `GET requests.json` without start_date/end_date covers the most recent 90 days (the spec's
  default); with either date given there is no implicit window. Newest first, at most 1000.
  Naive datetimes are read in the deployment's time zone; a date alone means that whole day.
- `service_code` filters match an issue filed under that category among others too.
- `agency_responsible` is the department the issue was routed to (分办), `expected_datetime`
  its handling deadline (办理时限, bot/casework/deadlines.py).
- `status_notes` is what the citizen was told with the current status: the note staff wrote for
  the reporter (告知举报人) when it came with that status, else the citizen text of the status
  (statuses.yml). System notes (the filing audit note) are never shown.
- `?extensions=true` (as FixMyStreet's Open311 does) adds `extended_attributes` to each request:
  every category, district and town, the channel it came in by, and the duplicate/hot-spot flags.
  Every filter works with it.
- `lat`/`long` are WGS-84, as the spec says: a pin stored in GCJ-02 (WeChat, Chinese maps;
  bot/data/datums.yml by channel) is converted; a POSTed position is stored as sent (WGS-84).
- Reporter identity (sender id, name, phone) never appears in output (举报保护): phone numbers
  however written, and the reporter's name, are masked in every free text.
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
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException
from pydantic import ValidationError

from bot import texts
from bot.casework import queries
from bot.casework.catalog import Category, categories, category_by_service_code, statuses
from bot.casework.datums import pin_datum, to_datum
from bot.casework.ledger import CHANNEL_LABELS
from bot.casework.replays import Replays, fingerprint
from bot.casework.schemas import IssueDraft, IssueView
from bot.casework.store import CaseStore
from bot.casework.tickets import normalise_ticket
from bot.clock import utcnow
from bot.config import Settings
from bot.exceptions import InvalidReport, IssueNotFound, NotAuthorized
from bot.nlp.extraction.keywords import description_keywords
from bot.nlp.privacy import mask_name, mask_phones_in_text
from bot.web.deps import app_settings, case_store
from bot.web.open311_wire import (
    ERRORS,
    CategoryRef,
    ExtendedAttributes,
    PostedRequest,
    Service,
    ServiceDefinition,
    ServiceRequest,
    answer,
    check_format,
)

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


def public_text(text: str | None, issue: IssueView) -> str:
    """Free text as Open311 may show it: phone numbers (however written) and the reporter's name
    masked (举报保护). A complaint often carries both ("我是王小明，电话138 …")."""
    masked = mask_phones_in_text(text)
    name = (issue.reporter_name or "").strip()
    # A one-character "name" would mask that character everywhere and protect nobody.
    return masked.replace(name, mask_name(name)) if len(name) >= 2 else masked


def status_notes(issue: IssueView) -> str | None:
    """What the citizen was told with the current status: a note staff wrote for the reporter
    (告知举报人) with it, else the status's citizen text. System notes are internal: never shown."""
    latest = issue.events[-1] if issue.events else None
    if latest and latest.note and latest.actor != "system" and latest.to_status == issue.status:
        return public_text(latest.note, issue)
    status = statuses().get(issue.status)
    return status.citizen if status else None


def extended_attributes(issue: IssueView, parents: Mapping[int, str]) -> ExtendedAttributes:
    """The ledger's facts about a request that GeoReport v2 has no field for."""
    known = categories()
    return ExtendedAttributes(
        categories=[
            CategoryRef(service_code=known[name].service_code, service_name=name)
            for name in issue.categories
            if name in known
        ],
        district=issue.district,
        town=issue.town,
        channel=issue.channel,
        channel_name=CHANNEL_LABELS.get(issue.channel, issue.channel),
        source=issue.source,
        duplicate_of=parents.get(issue.merged_into_id) if issue.merged_into_id else None,
        duplicate_count=issue.duplicate_count,
        hotspot=issue.hotspot,
    )


def request_of(
    issue: IssueView, tz: ZoneInfo, *, extended: Mapping[int, str] | None = None
) -> ServiceRequest:
    """One ledger issue as an Open311 service request, without any reporter identity.

    With `extended` (the tickets of the issues merged into, by id) the request carries
    `extended_attributes`; without it the field is left unset and not written at all.
    """
    status = statuses().get(issue.status)
    first = categories().get(issue.categories[0]) if issue.categories else None
    # The address stays, phone numbers and the reporter's name written into it do not.
    address = f"{issue.area_text}{public_text(issue.address, issue)}".strip()
    lat, long = wgs84_pin(issue)
    request = ServiceRequest(
        service_request_id=issue.ticket,
        status="closed" if status is not None and not status.open else "open",
        status_notes=status_notes(issue),
        service_name=first.name if first else None,
        service_code=first.service_code if first else None,
        description=public_text(issue.phenomenon, issue),
        agency_responsible=issue.department,
        service_notice=None,
        requested_datetime=_iso(issue.created_at, tz),
        updated_datetime=_iso(issue.updated_at, tz),
        expected_datetime=_iso(issue.handle_due, tz) if issue.handle_due else None,
        address=address or None,
        address_id=None,
        zipcode=None,
        lat=lat,
        long=long,
        media_url=None,
    )
    if extended is not None:
        request.extended_attributes = extended_attributes(issue, extended)
    return request


def wgs84_pin(issue: IssueView) -> tuple[float | None, float | None]:
    """The issue's pin in WGS-84 (GeoReport's datum), to 6 decimals (about 0.1 m)."""
    if issue.latitude is None or issue.longitude is None:
        return None, None
    lat, long = to_datum((issue.latitude, issue.longitude), pin_datum(issue.channel), "wgs84")
    return round(lat, 6), round(long, 6)


def requests_of(
    store: CaseStore, issues: Sequence[IssueView], tz: ZoneInfo, *, extensions: bool
) -> list[ServiceRequest]:
    """A page of requests; with extensions, the merged-into tickets are read in one query."""
    if not extensions:
        return [request_of(i, tz) for i in issues]
    parents = queries.tickets_by_id(store, [i.merged_into_id for i in issues if i.merged_into_id])
    return [request_of(i, tz, extended=parents) for i in issues]


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
@router.get("/services.{fmt}", response_model=list[Service], responses=ERRORS)
def list_services(fmt: str, jurisdiction_id: str | None = None) -> Any:
    rows = [service_of(c) for c in categories().values()]
    return answer(check_format(fmt), rows, "services")


@router.get("/services/{service_code}.{fmt}", response_model=ServiceDefinition, responses=ERRORS)
def get_service(service_code: str, fmt: str, jurisdiction_id: str | None = None) -> Any:
    """A service's definition: no extra attributes (every service has `metadata` false)."""
    fmt = check_format(fmt)
    category = category_by_service_code(service_code)
    if category is None:
        raise HTTPException(
            404, texts.text("staff", "open311.errors.unknown_service_code", code=repr(service_code))
        )
    definition = ServiceDefinition(service_code=category.service_code, attributes=[])
    return answer(fmt, definition, "service_definition")


@router.get(
    "/requests.{fmt}",
    response_model=list[ServiceRequest],
    response_model_exclude_unset=True,
    responses=ERRORS,
)
def list_requests(
    fmt: str,
    store: StoreDep,
    settings: SettingsDep,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    extensions: bool = False,
    jurisdiction_id: str | None = None,
) -> Any:
    """Newest first; `service_request_id` overrides every other filter, as the spec says.

    `extensions=true` adds `extended_attributes` to every request, whatever the filters.
    """
    fmt = check_format(fmt)
    tz = ZoneInfo(settings.timezone)
    ids = _split(service_request_id)
    if ids:
        found = (store.get(normalise_ticket(i) or i) for i in ids[:MAX_REQUESTS])
        issues = sorted((i for i in found if i), key=lambda i: i.created_at, reverse=True)
    else:
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
    rows = requests_of(store, issues, tz, extensions=extensions)
    return answer(fmt, rows, "service_requests")


@router.get(
    "/requests/{service_request_id}.{fmt}",
    response_model=list[ServiceRequest],
    response_model_exclude_unset=True,
    responses=ERRORS,
)
def get_request(
    service_request_id: str,
    fmt: str,
    store: StoreDep,
    settings: SettingsDep,
    extensions: bool = False,
    jurisdiction_id: str | None = None,
) -> Any:
    fmt = check_format(fmt)
    issue = store.get(normalise_ticket(service_request_id) or service_request_id)
    if issue is None:
        raise IssueNotFound(
            texts.text("staff", "open311.errors.no_request", id=repr(service_request_id))
        )
    rows = requests_of(store, [issue], ZoneInfo(settings.timezone), extensions=extensions)
    return answer(fmt, rows, "service_requests")


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


@router.post("/requests.{fmt}", response_model=list[PostedRequest], responses=ERRORS)
def create_request(
    fmt: str,
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
) -> Any:
    """Files a report from another civic system into the ledger (channel `open311`)."""
    fmt = check_format(fmt)
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
        return answer(fmt, _posted(claim.ticket), "service_requests")
    if claim.pending:
        raise HTTPException(409, texts.text("staff", "security.replay_pending"))
    try:
        issue, _new = store.file(draft)
    except BaseException:
        replays.release(print_)
        raise
    replays.settle(print_, issue.ticket)
    return answer(fmt, _posted(issue.ticket), "service_requests")


def _posted(ticket: str) -> list[PostedRequest]:
    received = statuses()["received"].citizen
    notice = texts.text("staff", "open311.notice", received=received, ticket=ticket)
    return [PostedRequest(service_request_id=ticket, service_notice=notice, account_id=None)]
