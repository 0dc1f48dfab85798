"""安全事件: the intake office's list of failed and throttled logins and status look-ups, and the
alerts raised when one ticket draws many failed phone checks (bot/casework/throttle.py)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from bot import texts
from bot.casework import access
from bot.casework.throttle import Throttle
from bot.exceptions import NotAuthorized
from bot.web.console.formatting import local_time
from bot.web.console.pages import SettingsDep, StoreDep, render_page, router
from bot.web.console.security import Member

logger = logging.getLogger(__name__)

#: The page lists this many of the newest events.
EVENT_LIMIT = 300


@router.get("/security", response_class=HTMLResponse)
def security_events(
    request: Request, store: StoreDep, settings: SettingsDep, member: Member, alerts: int = 0
) -> HTMLResponse:
    if not access.may_audit(member):
        raise NotAuthorized(texts.text("staff", "console.errors.office_only"))
    tz = ZoneInfo(settings.timezone)
    kinds = texts.table("staff", "security.kinds")
    rows = [
        {
            "at": local_time(e.at, tz, "%Y-%m-%d %H:%M:%S"),
            "kind": kinds.get(e.kind, e.kind),
            "alert": e.alert,
            "subject": e.subject,
            "source": e.source or "",
            "failures": e.failures or "",
            "wait": texts.text("staff", "security.page.wait", n=e.wait_s) if e.wait_s else "",
        }
        for e in Throttle(store).events(limit=EVENT_LIMIT, alerts_only=bool(alerts))
    ]
    return render_page(
        request,
        "security.html",
        member,
        settings,
        nav="security",
        rows=rows,
        alerts=bool(alerts),
        title=texts.text("staff", "security.page.title"),
        intro=texts.text("staff", "security.page.intro", limit=EVENT_LIMIT),
        none=texts.text("staff", "security.page.none"),
        alerts_label=texts.text("staff", "security.page.alerts"),
        columns=texts.table("staff", "security.page.columns"),
    )
