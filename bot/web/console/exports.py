"""Excel exports of the ledger: the 台账 with the list's filters, and the daily 超期清单.

Department staff export their own department's issues only, like their list (bot/casework/access.py).
"""

from __future__ import annotations

import logging
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response

from bot import texts
from bot.casework import access
from bot.casework.accounts import StaffMember
from bot.casework.ledger import IssueFilter, Ledger
from bot.clock import utcnow
from bot.exceptions import NotAuthorized
from bot.web.console.listing import build_filter
from bot.web.console.pages import SettingsDep, StoreDep, router
from bot.web.console.security import Member

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _check(member: StaffMember) -> None:
    if not access.may_export(member):
        raise NotAuthorized(texts.text("staff", "console.errors.no_export"))


@router.get("/export.xlsx")
def export_ledger(
    request: Request, store: StoreDep, settings: SettingsDep, member: Member
) -> Response:
    """The 台账 with the list's current filters (department staff: their issues only)."""
    _check(member)
    now = utcnow()
    f = build_filter(request, member)
    data = Ledger(store, settings.timezone).export_xlsx(f, now=now)
    day = now.astimezone(ZoneInfo(settings.timezone)).strftime("%Y%m%d")
    logger.info("ledger export by user_id=%s (%d bytes)", member.id, len(data))
    return _xlsx(data, texts.text("staff", "console.exports.ledger_file", day=day))


@router.get("/overdue.xlsx")
def export_overdue(store: StoreDep, settings: SettingsDep, member: Member) -> Response:
    """The daily 超期清单 for 督办: every issue past its acceptance or handling deadline."""
    _check(member)
    now = utcnow()
    f = IssueFilter(
        deadline="overdue", sort="due", scope_department=access.scope_department(member)
    )
    title = texts.text("staff", "console.exports.overdue_title")
    data = Ledger(store, settings.timezone).export_xlsx(f, now=now, title=title)
    day = now.astimezone(ZoneInfo(settings.timezone)).strftime("%Y%m%d")
    return _xlsx(data, texts.text("staff", "console.exports.overdue_file", day=day))
