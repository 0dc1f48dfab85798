"""First staff pages (工作台): the ledger list and one issue with its history.

There is no login yet, so every contact detail is masked here; templates only display the
strings prepared below, and Jinja2 autoescaping keeps citizen text inert.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.api import app_settings, case_store
from bot.catalog import statuses
from bot.config import Settings
from bot.exceptions import IssueNotFound
from bot.privacy import mask_name, mask_phone, mask_phones_in_text
from bot.schemas import IssueView
from bot.store import CaseStore
from bot.tickets import normalise_ticket

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_SIZE = 20

CHANNEL_LABELS = {
    "rest": "网页对话",
    "wechat": "微信",
    "hotline": "热线",
    "staff": "工作人员录入",
    "open311": "Open311 接口",
}

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # citizen text is untrusted, in every template
        undefined=jinja2.StrictUndefined,
    )
)

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

StoreDep = Annotated[CaseStore, Depends(case_store)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


@dataclass(frozen=True)
class IssueRow:
    """One line of the ledger list, already formatted and masked."""

    ticket: str
    created: str
    categories: str
    summary: str
    area: str
    address: str
    polluter: str
    status_label: str
    status_open: bool
    channel: str
    reporter: str
    phone: str


@dataclass(frozen=True)
class EventRow:
    at: str
    actor: str
    from_label: str
    to_label: str
    note: str


def mask_identifier(value: str | None) -> str:
    """A sender id (WeChat openid etc.) identifies a person: keep only enough to tell two apart."""
    if not value:
        return ""
    if len(value) <= 6:
        return "*" * len(value)
    return f"{value[:3]}***{value[-2:]}"


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_label(code: str | None) -> str:
    if code is None:
        return "—"
    status = statuses().get(code)
    return status.label if status else code


def reporter_label(issue: IssueView) -> str:
    if issue.anonymous:
        return "匿名"
    return mask_name(issue.reporter_name) or "未留姓名"


def row_of(issue: IssueView, tz: ZoneInfo) -> IssueRow:
    status = statuses().get(issue.status)
    return IssueRow(
        ticket=issue.ticket,
        created=local_time(issue.created_at, tz),
        categories="、".join(issue.categories),
        summary=shorten(mask_phones_in_text(issue.phenomenon)),
        area="".join(p for p in (issue.district, issue.town) if p) or issue.area_text,
        address=mask_phones_in_text(issue.address),
        polluter=mask_phones_in_text(issue.polluter),
        status_label=status_label(issue.status),
        status_open=status.open if status else True,
        channel=CHANNEL_LABELS.get(issue.channel, issue.channel),
        reporter=reporter_label(issue),
        phone=mask_phone(issue.reporter_phone),
    )


def _yes_no(value: bool | None) -> str:
    return {True: "有", False: "无", None: "未说明"}[value]


def detail_fields(issue: IssueView, tz: ZoneInfo) -> list[tuple[str, str]]:
    """Every field of the issue, in the order a case officer reads it; contacts masked."""
    coords = (
        f"{issue.latitude:.6f}, {issue.longitude:.6f}"
        if issue.latitude is not None and issue.longitude is not None
        else ""
    )
    return [
        ("举报编号", issue.ticket),
        ("状态", status_label(issue.status)),
        ("来源渠道", CHANNEL_LABELS.get(issue.channel, issue.channel)),
        ("登记时间", local_time(issue.created_at, tz)),
        ("最近更新", local_time(issue.updated_at, tz)),
        ("污染类型", "、".join(issue.categories)),
        ("问题描述", mask_phones_in_text(issue.phenomenon)),
        ("省", issue.province or ""),
        ("市", issue.city or ""),
        ("区县", issue.district or ""),
        ("乡镇街道", issue.town or ""),
        ("详细地址", mask_phones_in_text(issue.address)),
        ("经纬度", coords),
        ("发生时间", issue.time_text or ""),
        ("涉嫌污染者", mask_phones_in_text(issue.polluter)),
        ("证据", _yes_no(issue.has_evidence)),
        ("证据说明", mask_phones_in_text(issue.evidence_text)),
        ("举报人原话", mask_phones_in_text(issue.original_text)),
        ("举报人", reporter_label(issue)),
        ("联系电话", mask_phone(issue.reporter_phone)),
        ("会话标识", mask_identifier(issue.reporter_sender_id)),
        ("渠道请求号", mask_identifier(issue.client_ref)),
    ]


def event_rows(issue: IssueView, tz: ZoneInfo) -> list[EventRow]:
    return [
        EventRow(
            at=local_time(e.at, tz),
            actor=e.actor,
            from_label=status_label(e.from_status),
            to_label=status_label(e.to_status),
            note=mask_phones_in_text(e.note),
        )
        for e in issue.events
    ]


def render_error(request: Request, status_code: int, message: str) -> HTMLResponse:
    """The console's error page; the app's exception handlers use it for /console paths."""
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def issue_list(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    tz = ZoneInfo(settings.timezone)
    total = store.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    issues = store.search(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return templates.TemplateResponse(
        request,
        "issues.html",
        {
            "rows": [row_of(i, tz) for i in issues],
            "page": page,
            "pages": pages,
            "total": total,
            "timezone": settings.timezone,
        },
    )


@router.get("/issues/{ticket}", response_class=HTMLResponse)
def issue_detail(
    ticket: str, request: Request, store: StoreDep, settings: SettingsDep
) -> HTMLResponse:
    issue = store.get(normalise_ticket(ticket) or ticket)
    if issue is None:
        raise IssueNotFound(f"没有编号为 {ticket} 的举报")
    tz = ZoneInfo(settings.timezone)
    return templates.TemplateResponse(
        request,
        "issue.html",
        {
            "ticket": issue.ticket,
            "fields": detail_fields(issue, tz),
            "events": event_rows(issue, tz),
            "status_label": status_label(issue.status),
            "timezone": settings.timezone,
        },
    )
