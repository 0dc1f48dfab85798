"""月度通报: the monthly report of the ledger, printable, with charts drawn on the server as SVG."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from bot import texts
from bot.casework import access
from bot.casework.geography import map_figures
from bot.casework.ledger import IssueFilter, Ledger
from bot.clock import utcnow
from bot.exceptions import InvalidReport
from bot.web.console import charts
from bot.web.console.maps import city_map
from bot.web.console.pages import SettingsDep, StoreDep, render_page, router
from bot.web.console.security import Member

logger = logging.getLogger(__name__)


def _percent(rate: float | None) -> str:
    return f"{rate:.0%}" if rate is not None else "—"


def _placed(by_district: Counter[str]) -> Counter[str]:
    """The monthly figures' districts, with their label for "no district" back to ""."""
    none = texts.table("staff", "ledger.monthly")["no_district"]
    return Counter({("" if name == none else name): n for name, n in by_district.items()})


@router.get("/report", response_class=HTMLResponse)
def monthly_report(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")] = "",
) -> HTMLResponse:
    """月度通报 of one month's registrations (department staff: their department's)."""
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    local = now.astimezone(tz)
    year, mon = (int(month[:4]), int(month[5:])) if month else (local.year, local.month)
    if not 1 <= mon <= 12:
        raise InvalidReport(texts.text("staff", "console.errors.bad_month"))
    ledger = Ledger(store, settings.timezone)
    scope = access.scope_department(member)
    figs = ledger.monthly(year, mon, now=now, scope_department=scope)
    first = date(year, mon, 1)
    month_filter = IssueFilter(
        date_from=first,
        date_to=date(year + (mon == 12), mon % 12 + 1, 1) - timedelta(days=1),
        scope_department=scope,
    )
    shown = city_map(
        map_figures(ledger, month_filter, now=now, counts=_placed(figs.by_district)),
        province=settings.deployment_province,
        city=settings.deployment_city,
        map_id="report-map",
    )
    prev = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
    nxt = f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
    title = texts.table("staff", "console.report.charts")
    timeliness = texts.table("staff", "ledger.timeliness")
    order = [timeliness[k] for k in ("on_time", "late", "in_progress", "overdue", "transferred")]
    answers = texts.table("staff", "casework.satisfaction")
    waiting = texts.table("staff", "ledger.monthly")["awaiting_feedback"]
    sat = (answers["satisfied"], answers["unsatisfied"], waiting)
    return render_page(
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
        on_time=_percent(figs.on_time_rate),
        satisfaction_rate=_percent(figs.satisfaction_rate),
        chart_category=charts.bar_chart(figs.by_category.most_common(), title=title["category"]),
        chart_district=charts.bar_chart(figs.by_district.most_common(12), title=title["district"]),
        chart_department=charts.bar_chart(
            figs.by_department.most_common(), title=title["department"]
        ),
        chart_channel=charts.pie_chart(figs.by_channel.most_common(), title=title["channel"]),
        chart_timeliness=charts.pie_chart(
            [(k, figs.timeliness[k]) for k in order if figs.timeliness[k]],
            title=title["timeliness"],
        ),
        chart_satisfaction=charts.pie_chart(
            [(k, figs.satisfaction[k]) for k in sat if figs.satisfaction[k]],
            title=title["satisfaction"],
        ),
        city_map=shown,
    )
