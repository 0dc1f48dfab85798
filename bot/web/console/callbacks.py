"""回访任务: hotline reporters to call back with a status update, and marking a call-back done.

Hotline reporters get no WeChat push, so the office's agents phone them; the numbers are shown to
those who see contacts only (bot/casework/access.py).
"""

from __future__ import annotations

import logging
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import texts
from bot.casework import access, queries
from bot.casework.accounts import StaffMember
from bot.casework.commands import CaseWork
from bot.casework.ledger import CHANNEL_LABELS
from bot.web.console.formatting import local_time, status_label
from bot.web.console.pages import SettingsDep, StoreDep, render_page, router
from bot.web.console.security import Member, Office
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)


def _contact(issue: queries.IssueBrief, member: StaffMember) -> tuple[str, str]:
    """(phone, name) as the member may see them."""
    if access.sees_contact(member):
        phone = issue.reporter_phone or texts.text("staff", "console.people.no_phone")
        return phone, issue.reporter_name or ""
    return texts.text("staff", "console.people.contact_hidden"), ""


@router.get("/callbacks", response_class=HTMLResponse)
def callbacks(
    request: Request, store: StoreDep, settings: SettingsDep, member: Member, done: int = 0
) -> HTMLResponse:
    """回访任务: hotline reporters to call back with a status update (the office's agents)."""
    tz = ZoneInfo(settings.timezone)
    tasks = queries.callbacks(
        store, done=bool(done), scope_department=access.scope_department(member)
    )
    rows = []
    for t, i in tasks:
        phone, name = _contact(i, member)
        rows.append(
            {
                "id": t.id,
                "ticket": i.ticket,
                "message": t.message,
                "created": local_time(t.created_at, tz),
                "done": local_time(t.done_at, tz),
                "done_by": t.done_by or "",
                "outcome": t.outcome or "",
                "phone": phone,
                "name": name,
                "status": status_label(i.status),
                "channel": CHANNEL_LABELS.get(i.channel, i.channel),
            }
        )
    return render_page(
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
