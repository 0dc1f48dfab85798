"""Console pages that summarise the ledger: Excel exports (台账, 超期清单), the monthly report with
charts, and the call-back list (回访任务) for hotline reporters.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from bot.casework.commands import CaseWork
from bot.casework.ledger import CHANNEL_LABELS, IssueFilter, Ledger
from bot.casework.models import CallbackTask, Issue, utcnow
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.exceptions import InvalidReport
from bot.web.console import charts
from bot.web.console.security import Member, Office
from bot.web.console.views import _page, build_filter, local_time, router, status_label
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

StoreDep = Annotated[CaseStore, Depends(case_store)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/export.xlsx")
def export_ledger(
    request: Request, store: StoreDep, settings: SettingsDep, member: Member
) -> Response:
    """The 台账 with the list's current filters (department staff: their issues only)."""
    now = utcnow()
    f = build_filter(request, member)
    data = Ledger(store, settings.timezone).export_xlsx(f, now=now)
    day = now.astimezone(ZoneInfo(settings.timezone)).strftime("%Y%m%d")
    logger.info("ledger export by user_id=%s (%d bytes)", member.id, len(data))
    return _xlsx(data, f"问题台账-{day}.xlsx")


@router.get("/overdue.xlsx")
def export_overdue(store: StoreDep, settings: SettingsDep, member: Member) -> Response:
    """The daily 超期清单 for 督办: every issue past its acceptance or handling deadline."""
    now = utcnow()
    f = IssueFilter(deadline="overdue", sort="due", scope_department=member.scope_department)
    data = Ledger(store, settings.timezone).export_xlsx(f, now=now, title="超期清单")
    day = now.astimezone(ZoneInfo(settings.timezone)).strftime("%Y%m%d")
    return _xlsx(data, f"超期清单-{day}.xlsx")


@router.get("/report", response_class=HTMLResponse)
def monthly_report(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")] = "",
) -> HTMLResponse:
    """月度通报: printable, charts drawn on the server as SVG."""
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    local = now.astimezone(tz)
    year, mon = (int(month[:4]), int(month[5:])) if month else (local.year, local.month)
    if not 1 <= mon <= 12:
        raise InvalidReport("月份无效")
    figs = Ledger(store, settings.timezone).monthly(
        year, mon, now=now, scope_department=member.scope_department
    )
    prev = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
    nxt = f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
    order = ("按期办结", "超期办结", "办理中", "超期未办结", "已转办")
    sat = ("满意", "不满意", "待评价")
    return _page(
        request,
        "report.html",
        member,
        settings,
        nav="report",
        year=year,
        month=mon,
        prev=prev,
        next=nxt,
        figs=figs,
        generated=local.strftime("%Y-%m-%d %H:%M"),
        on_time=f"{figs.on_time_rate:.0%}" if figs.on_time_rate is not None else "—",
        satisfaction_rate=f"{figs.satisfaction_rate:.0%}"
        if figs.satisfaction_rate is not None
        else "—",
        chart_category=charts.bar_chart(figs.by_category.most_common(), title="按问题类型"),
        chart_district=charts.bar_chart(figs.by_district.most_common(12), title="按行政区域"),
        chart_department=charts.bar_chart(figs.by_department.most_common(), title="按责任单位"),
        chart_channel=charts.pie_chart(figs.by_channel.most_common(), title="按来源渠道"),
        chart_timeliness=charts.pie_chart(
            [(k, figs.timeliness[k]) for k in order if figs.timeliness[k]], title="办理时效"
        ),
        chart_satisfaction=charts.pie_chart(
            [(k, figs.satisfaction[k]) for k in sat if figs.satisfaction[k]], title="满意度"
        ),
    )


@router.get("/callbacks", response_class=HTMLResponse)
def callbacks(
    request: Request, store: StoreDep, settings: SettingsDep, member: Member, done: int = 0
) -> HTMLResponse:
    """回访任务: hotline reporters to call back with a status update (the office's agents)."""
    tz = ZoneInfo(settings.timezone)
    with store._session() as s:
        stmt = (
            select(CallbackTask, Issue)
            .join(Issue, Issue.id == CallbackTask.issue_id)
            .where(CallbackTask.done_at.is_not(None) if done else CallbackTask.done_at.is_(None))
            .order_by(CallbackTask.created_at.desc() if done else CallbackTask.created_at)
            .limit(200)
        )
        if member.scope_department is not None:
            stmt = stmt.where(Issue.department == member.scope_department)
        rows = [
            {
                "id": t.id,
                "ticket": i.ticket,
                "message": t.message,
                "created": local_time(t.created_at, tz),
                "done": local_time(t.done_at, tz),
                "done_by": t.done_by or "",
                "outcome": t.outcome or "",
                "phone": (i.reporter_phone or "未留")
                if member.sees_contact
                else "（仅受理人员可见）",
                "name": (i.reporter_name or "") if member.sees_contact else "",
                "status": status_label(i.status),
                "channel": CHANNEL_LABELS.get(i.channel, i.channel),
            }
            for t, i in s.execute(stmt).tuples()
        ]
    return _page(
        request, "callbacks.html", member, settings, nav="callbacks", rows=rows, done=bool(done)
    )


@router.post("/callbacks/{task_id}")
def callback_done(
    task_id: int, request: Request, member: Office, outcome: Annotated[str, Form()] = ""
) -> Response:
    CaseWork(case_store(request), app_settings(request)).complete_callback(
        task_id, actor=member.actor, outcome=outcome
    )
    return RedirectResponse("/console/callbacks", status_code=303)
