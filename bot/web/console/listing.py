"""The ledger list (问题台账): filters from the query string, one page of issues, masked rows.

The ledger (bot/casework/ledger.py) does the filtering in SQL; department staff are always scoped
to their department (bot/casework/access.py), whatever the query string says.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from bot import texts
from bot.casework import access, deadlines
from bot.casework.accounts import StaffMember
from bot.casework.catalog import categories, statuses
from bot.casework.geography import map_figures
from bot.casework.ledger import CHANNEL_LABELS, SORT_LABELS, IssueFilter, IssueRecord, Ledger
from bot.casework.routing import departments
from bot.clock import utcnow
from bot.exceptions import InvalidReport
from bot.web.console.formatting import (
    citizen_text,
    deadline_of,
    local_time,
    phone_label,
    reporter_label,
    shorten,
    status_label,
)
from bot.web.console.maps import city_map
from bot.web.console.pages import SettingsDep, StoreDep, render_page, router
from bot.web.console.security import Member

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
PAGE_SIZES = (20, 50, 100)


@dataclass(frozen=True)
class IssueRow:
    """One line of the ledger list, already formatted and masked for the member."""

    ticket: str
    created: str
    categories: str
    summary: str
    area: str
    address: str
    polluter: str
    department: str
    status_label: str
    status_open: bool
    due: str
    due_flag: str
    due_label: str
    channel: str
    reporter: str
    phone: str
    duplicate: bool
    hotspot: bool
    merged: bool


def row_of(issue: IssueRecord, tz: ZoneInfo, member: StaffMember, now: datetime) -> IssueRow:
    status = statuses().get(issue.status)
    due_at, flag = deadline_of(issue, now)
    return IssueRow(
        ticket=issue.ticket,
        created=local_time(issue.created_at, tz),
        categories="、".join(issue.categories),
        summary=shorten(citizen_text(issue.phenomenon, member)),
        area="".join(p for p in (issue.district, issue.town) if p)
        or "".join(p for p in (issue.province, issue.city) if p),
        address=citizen_text(issue.address, member),
        polluter=citizen_text(issue.polluter, member),
        department=issue.department or "",
        status_label=status_label(issue.status),
        status_open=status.open if status else True,
        due=local_time(due_at, tz, "%m-%d") if flag != "done" else "",
        due_flag=flag,
        due_label=deadlines.FLAG_LABELS[flag],
        channel=CHANNEL_LABELS.get(issue.channel, issue.channel),
        reporter=reporter_label(issue, member),
        phone=phone_label(issue.reporter_phone, member),
        duplicate=bool(issue.duplicate_count),
        hotspot=bool(issue.hotspot),
        merged=issue.merged_into_id is not None,
    )


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidReport(texts.text("staff", "console.errors.bad_date", value=value)) from exc


def build_filter(request: Request, member: StaffMember) -> IssueFilter:
    """The list's filter from the query string; department staff are always scoped."""
    q = request.query_params
    wanted = [s for s in q.getlist("status") if s]
    if wanted == ["open"]:
        wanted = [c for c, s in statuses().items() if s.open and c != "merged"]
    unknown = [s for s in wanted if s not in statuses()]
    if unknown:
        raise InvalidReport(
            texts.text("staff", "console.errors.unknown_status", statuses="、".join(unknown))
        )
    deadline = q.get("deadline", "")
    if deadline not in ("", "overdue", "soon"):
        raise InvalidReport(texts.text("staff", "console.errors.bad_deadline"))
    return IssueFilter(
        statuses=wanted,
        category=q.get("category", ""),
        district=q.get("district", ""),
        department=q.get("department", ""),
        channel=q.get("channel", ""),
        date_from=_parse_date(q.get("from")),
        date_to=_parse_date(q.get("to")),
        deadline=deadline,  # type: ignore[arg-type]
        duplicates=q.get("duplicates") == "1",
        hotspot=q.get("hotspot") == "1",
        q=q.get("q", "")[:100],
        sort=q.get("sort", "-created") if q.get("sort", "-created") in SORT_LABELS else "-created",
        scope_department=access.scope_department(member),
    )


def _query_without(request: Request, *drop: str) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in drop and v]
    return urlencode(items)


@router.get("", response_class=HTMLResponse)
def issue_list(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = PAGE_SIZE,
) -> HTMLResponse:
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    f = build_filter(request, member)
    ledger = Ledger(store, settings.timezone)
    issues, total, more = ledger.page(f, page=page, size=size, now=now)
    pages = max(1, math.ceil(total / size))
    shown = city_map(
        map_figures(ledger, f, now=now),
        province=settings.deployment_province,
        city=settings.deployment_city,
        map_id="ledger-map",
    )
    return render_page(
        request,
        "issues.html",
        member,
        settings,
        nav="list",
        rows=[row_of(i, tz, member, now) for i in issues],
        page=page,
        pages=pages,
        total=total,
        size=size,
        more=more,
        total_label=f"{total:,}+" if more else str(total),
        f=f,
        form=request.query_params,
        paging_query=_query_without(request, "page"),
        export_query=_query_without(request, "page", "size", "sort"),
        statuses=[(c, s.label) for c, s in statuses().items()],
        categories=list(categories()),
        districts=ledger.distinct("district", f.scope_department),
        departments=departments(),
        channels=list(CHANNEL_LABELS.items()),
        sorts=list(SORT_LABELS.items()),
        page_sizes=PAGE_SIZES,
        selected_statuses=set(request.query_params.getlist("status")),
        city_map=shown,
    )
