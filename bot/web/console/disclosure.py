"""The 公开情况一览表 for staff: choose a batch (source and batch number) or a month of 办结, read
the table as it will be published (a printable page), and download it as Excel.

What the table holds is bot/casework/disclosure.py's allow-list, with personal data removed; every
role that may export the ledger may make it (its content is public by design).
"""

from __future__ import annotations

import logging
import re
from typing import Annotated
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from bot import texts
from bot.casework import access
from bot.casework.accounts import StaffMember
from bot.casework.disclosure import (
    COLUMNS,
    Disclosure,
    PublicRow,
    Selection,
    SelectionCounts,
    export_xlsx,
)
from bot.clock import utcnow
from bot.exceptions import InvalidReport, NotAuthorized
from bot.web.console.pages import SettingsDep, StoreDep, render_page, router
from bot.web.console.security import Member

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

Source = Annotated[str, Query(max_length=32)]
Batch = Annotated[str, Query(max_length=32)]
Month = Annotated[str, Query(max_length=7)]


def _selection(source: str, batch: str, month: str) -> Selection | None:
    """The batch if one is given, else the month; None when neither (the page offers both)."""
    source, batch, month = source.strip(), batch.strip(), month.strip()
    if batch:
        return Selection(source=source, batch=batch)
    if not month:
        return None
    m = _MONTH_RE.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidReport(texts.text("staff", "disclosure.errors.bad_month"))
    return Selection(month=(int(m.group(1)), int(m.group(2))))


def _check(member: StaffMember) -> None:
    if not access.may_export(member):
        raise NotAuthorized(texts.text("staff", "console.errors.no_export"))


@router.get("/disclosure", response_class=HTMLResponse)
def disclosure_page(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    source: Source = "",
    batch: Batch = "",
    month: Month = "",
) -> HTMLResponse:
    """The table of one batch or month as it will be published, ready to print."""
    _check(member)
    sel = _selection(source, batch, month)
    disclosure = Disclosure(store, settings.timezone)
    rows: list[PublicRow] = []
    counts: SelectionCounts | None = None
    scope = ""
    if sel is not None:
        rows, counts = disclosure.selection(sel)
        scope = sel.scope()
    local = utcnow().astimezone(ZoneInfo(settings.timezone))
    query = urlencode(
        {k: v for k, v in (("source", source), ("batch", batch), ("month", month)) if v}
    )
    counts_text = ""
    if counts is not None:
        counts_text = texts.text(
            "staff", "disclosure.counts", total=counts.total, published=counts.published
        )
        if counts.unfinished:
            counts_text += texts.text(
                "staff", "disclosure.unfinished", unfinished=counts.unfinished
            )
    return render_page(
        request,
        "disclosure.html",
        member,
        settings,
        nav="disclosure",
        title=texts.text("staff", "disclosure.title"),
        scope=scope,
        columns=COLUMNS,
        rows=rows,
        selected=sel is not None,
        counts=counts_text,
        batches=disclosure.batches(),
        form={"source": source, "batch": batch, "month": month or local.strftime("%Y-%m")},
        query=query,
        generated=local.strftime("%Y-%m-%d %H:%M"),
    )


@router.get("/disclosure.xlsx")
def disclosure_xlsx(
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    source: Source = "",
    batch: Batch = "",
    month: Month = "",
) -> Response:
    """The same table as an .xlsx workbook in the published layout."""
    _check(member)
    sel = _selection(source, batch, month)
    if sel is None:
        raise InvalidReport(texts.text("staff", "disclosure.errors.bad_selection"))
    rows, _ = Disclosure(store, settings.timezone).selection(sel)
    scope = sel.scope()
    data = export_xlsx(rows, scope=scope)
    logger.info("disclosure export by user_id=%s: %d rows", member.id, len(rows))
    filename = texts.text("staff", "disclosure.file", scope=scope)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
