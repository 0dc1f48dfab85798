"""交办表导入: the console's upload of hand-over tables, the same import as `make import`.

Upload → preview (how the columns were mapped, each row's check, nothing filed) → confirm (the
rows are filed under one import run) → the report of the rows that need attention, downloadable.
The uploaded table is kept by its SHA-256 between preview and confirm (and afterwards, as the
record of what was handed over). Intake office accounts only; every POST carries the CSRF token.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot import texts
from bot.casework import access
from bot.casework.accounts import StaffMember
from bot.casework.evidence import blob_path, save_blob
from bot.casework.imports import ImportRuns
from bot.casework.sources import resolve, sources
from bot.exceptions import NotAuthorized
from bot.intake.handover import (
    MAX_FILE_BYTES,
    ImportResult,
    Table,
    TableError,
    import_rows,
    plan_rows,
    read_table,
    report_csv,
)
from bot.web.console.pages import SettingsDep, render_page
from bot.web.console.register import context_of
from bot.web.console.security import Member, Office
from bot.web.deps import case_store

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/console/import", tags=["console"], include_in_schema=False)

FormStr = Annotated[str, Form()]
#: Rows shown in the preview and the result; the report file has them all.
SHOWN_ROWS = 200
_SHA = re.compile(r"^[0-9a-f]{64}$")
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def _folder(settings: Any) -> Any:
    return settings.evidence_dir / "hand-over-tables"


def _page(
    request: Request,
    member: StaffMember,
    settings: Any,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("errors", [])
    context.setdefault("table", None)
    context.setdefault("result", None)
    context.setdefault("form", {"source": "", "batch": ""})
    context.setdefault("preview", False)
    response = render_page(
        request,
        "imports.html",
        member,
        settings,
        nav="import",
        sources=list(sources().values()),
        runs=ImportRuns(case_store(request)).recent(),
        can_file=access.may_handle(member),
        shown=SHOWN_ROWS,
        outcomes=texts.table("staff", "table_import.outcomes"),
        preview_outcomes=texts.table("staff", "table_import.preview_outcomes"),
        **context,
    )
    response.status_code = status_code
    return response


@router.get("", response_class=HTMLResponse)
def import_page(request: Request, member: Member, settings: SettingsDep) -> HTMLResponse:
    return _page(request, member, settings)


def _preview(
    request: Request, settings: Any, table: Table, source: str, batch: str
) -> ImportResult:
    plans = plan_rows(
        table,
        source=source,
        store=case_store(request),
        ctx=context_of(settings),
        batch=batch or None,
    )
    return ImportResult(None, plans)


@router.post("/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    member: Office,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    source: FormStr = "",
    batch: FormStr = "",
) -> HTMLResponse:
    """The mapping and every row's check; nothing is filed."""
    form = {"source": source, "batch": batch.strip()[:32]}
    found = resolve(source)
    if found is None:
        errors = [texts.text("staff", "register.errors.no_source")]
        return _page(request, member, settings, form=form, errors=errors, status_code=400)
    data = await file.read(MAX_FILE_BYTES + 1)
    name = _SAFE_NAME.sub("_", (file.filename or "table").rsplit("/", 1)[-1])[:120]
    try:
        table = await run_in_threadpool(read_table, name, data)
    except TableError as exc:
        return _page(request, member, settings, form=form, errors=[str(exc)], status_code=400)
    await run_in_threadpool(save_blob, _folder(settings), data)
    result = await run_in_threadpool(_preview, request, settings, table, found.name, form["batch"])
    return _page(request, member, settings, form=form, table=table, result=result, preview=True)


@router.post("/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    member: Office,
    settings: SettingsDep,
    sha256: FormStr = "",
    file_name: FormStr = "",
    source: FormStr = "",
    batch: FormStr = "",
) -> HTMLResponse:
    """Files the previewed table's rows (again: idempotent by source and 受理编号)."""
    form = {"source": source, "batch": batch.strip()[:32]}
    found = resolve(source)
    path = blob_path(_folder(settings), sha256) if _SHA.match(sha256) else None
    if found is None or path is None or not path.is_file():
        errors = [texts.text("staff", "table_import.errors.preview_expired")]
        return _page(request, member, settings, form=form, errors=errors, status_code=400)
    try:
        table = read_table(_SAFE_NAME.sub("_", file_name)[:120] or "table.xlsx", path.read_bytes())
    except TableError as exc:
        return _page(request, member, settings, form=form, errors=[str(exc)], status_code=400)
    store = case_store(request)
    ctx = context_of(settings)
    plans = plan_rows(table, source=found.name, store=store, ctx=ctx, batch=form["batch"] or None)
    result = import_rows(
        table,
        plans,
        source=found.name,
        store=store,
        ctx=ctx,
        actor=member.actor,
        batch=form["batch"] or None,
    )
    return _page(request, member, settings, form=form, table=table, result=result, preview=False)


@router.get("/runs/{run_id}/report.csv")
def report(run_id: int, request: Request, member: Member) -> Response:
    """The rows of an import that need attention (row numbers, 受理编号, reasons; no complaint text)."""
    if not access.may_handle(member):
        raise NotAuthorized(texts.text("staff", "console.errors.office_only"))
    run = ImportRuns(case_store(request)).get(run_id)
    if run is None:
        raise HTTPException(404, texts.text("staff", "table_import.errors.no_run"))
    return Response(
        report_csv(run.report).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{run_id}-report.csv"'},
    )
