"""The public results page (曝光台): finished issues with their results, for anyone, no login.

Read-only and anonymous: no cookie is read or set, no form changes anything. What it shows is
bot/casework/disclosure.py's allow-list (published statuses only, the published columns only,
personal data removed); a filter or URL that asks for anything else gets an empty list or a 4xx,
the same for an open issue as for one that does not exist. Pages are cacheable (ETag, 5 minutes)
and carry a strict CSP of their own besides the app's security headers: no script at all.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import texts
from bot.casework.catalog import categories
from bot.casework.disclosure import COLUMNS, MAX_PAGE, Disclosure, PublicFilter
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.exceptions import InvalidReport, IssueNotFound
from bot.nlp.tickets import normalise_ticket
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PAGE_SIZE = 20
#: Cached by browsers and proxies for a few minutes: the page is the same for everyone.
CACHE_CONTROL = "public, max-age=300"
#: Stricter than the app's default: these pages run no script and load only our stylesheet.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
#: Nothing a person types into a filter has control characters (PostgreSQL refuses NUL).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

router = APIRouter(prefix="/public", tags=["public"], include_in_schema=False)

StoreDep = Annotated[CaseStore, Depends(case_store)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


def _text(key: str) -> str:
    return texts.text("citizen", f"public.{key}")


def _render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    """A public page with its CSP; cacheable with an ETag (answering 304 when it is unchanged)."""
    html = _env.get_template(name).render(title=_text("title"), intro=_text("intro"), **context)
    headers = {"Content-Security-Policy": CSP}
    if status_code != 200:
        headers["Cache-Control"] = "no-store"
        return HTMLResponse(html, status_code=status_code, headers=headers)
    etag = '"' + hashlib.sha256(html.encode("utf-8")).hexdigest()[:32] + '"'
    headers.update({"Cache-Control": CACHE_CONTROL, "ETag": etag})
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return HTMLResponse(html, headers=headers)


def render_error(request: Request, status_code: int, message: str) -> Response:
    """The public error page (the app's handlers use it for /public paths)."""
    return _render(request, "error.html", status_code=status_code, message=message)


def _plain(value: str) -> str:
    value = value.strip()
    if _CONTROL_RE.search(value):
        raise InvalidReport(_text("errors.bad_request"))
    return value


def _filter(month: str, district: str, category: str) -> PublicFilter:
    month, district, category = _plain(month), _plain(district), _plain(category)
    parsed: tuple[int, int] | None = None
    if month:
        m = _MONTH_RE.match(month)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
            raise InvalidReport(_text("errors.bad_month"))
        parsed = (int(m.group(1)), int(m.group(2)))
    if category and category not in categories():
        raise InvalidReport(_text("errors.bad_type"))
    return PublicFilter(month=parsed, district=district, category=category)


@router.get("", include_in_schema=False)
def public_root() -> RedirectResponse:
    return RedirectResponse("/public/", status_code=308)


@router.get("/", response_class=HTMLResponse)
def public_list(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    month: Annotated[str, Query(max_length=7)] = "",
    district: Annotated[str, Query(max_length=32)] = "",
    category: Annotated[str, Query(alias="type", max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """Published issues, latest 办结 first: by month of 办结, district and pollution type."""
    f = _filter(month, district, category)
    disclosure = Disclosure(store, settings.timezone)
    rows, total = disclosure.public_page(f, page=page, size=PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    query = urlencode(
        {k: v for k, v in (("month", month), ("district", district), ("type", category)) if v}
    )
    return _render(
        request,
        "list.html",
        columns=COLUMNS,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        query=query,
        form={"month": month, "district": district, "type": category},
        districts=disclosure.public_districts(),
        categories=list(categories()),
    )


@router.get("/issues/{ticket}", response_class=HTMLResponse)
def public_item(ticket: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """One published issue; any other ticket (open, merged, unknown, malformed) is the same 404."""
    canonical = normalise_ticket(ticket[:40])
    row = Disclosure(store, settings.timezone).public_item(canonical) if canonical else None
    if row is None:
        raise IssueNotFound(_text("errors.not_found"))
    return _render(request, "item.html", columns=COLUMNS, row=row)
