"""Hand-over tables (交办表): an inspection team's or a department's batch of numbered complaints
read from .xlsx or .csv, each row registered as an issue with its source and 受理编号.

    table = read_table(name, data)                # bot/intake/tables.py: the columns mapped
    plans = plan_rows(table, source=…, store=…)    # what each row would become, and why to look
    result = import_rows(plans, …)                 # files the rows; idempotent by (source, 受理编号)

What the table lacks, extraction fills from the complaint text (district, town, address, polluter, types), and routing
and the source's deadlines apply as for every filing (bot/casework/filing.py). Used by the CLI
(bot/ops/table_import.py, `make import`) and the console's upload (/console/import).

A table that cannot be read raises TableError before any row is filed; afterwards every row is
filed or reported on its own.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot import texts
from bot.casework.imports import ImportRuns, RunView
from bot.casework.ledger import _xlsx_safe as _cell_safe
from bot.casework.store import CaseStore
from bot.intake.context import Context
from bot.intake.register import (
    Entry,
    EntryError,
    area_of,
    categories_of,
    text_categories,
)
from bot.intake.register import entry_draft as _entry_draft
from bot.intake.tables import MAX_FILE_BYTES, MAX_ROWS, Table, TableError, map_headers, read_table
from bot.nlp.extraction import extract
from bot.nlp.scope import decide

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "ImportResult",
    "RowPlan",
    "Table",
    "TableError",
    "handed_over",
    "import_rows",
    "map_headers",
    "plan_rows",
    "read_table",
    "report_csv",
]

_DATE = re.compile(
    r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?\s*(?:(\d{1,2})[:：](\d{2}))?"
)


def _t(key: str, **values: object) -> str:
    return texts.text("staff", f"table_import.{key}", **values)


# -- planning --------------------------------------------------------------------------------------
@dataclass
class RowPlan:
    """What one row becomes: the entry to file (None: skipped), the reasons to look at it."""

    row: int
    seq: str
    ref: str
    entry: Entry | None
    reasons: list[str] = field(default_factory=list)
    outcome: str = "added"  # added / existing / attention / skipped
    ticket: str | None = None

    def report_row(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "seq": self.seq,
            "ref": self.ref,
            "outcome": self.outcome,
            "ticket": self.ticket or "",
            "reasons": "；".join(self.reasons),
        }


def handed_over(value: Any, timezone: str) -> datetime | None:
    """交办时间 of a cell: an Excel date, 2026-11-20, 2026/11/20 9:30 or 2026年11月20日."""
    tz = ZoneInfo(timezone)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=tz)
    m = _DATE.search(str(value or ""))
    if not m:
        raise ValueError(str(value))
    y, mo, d, h, mi = m.groups()
    return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), tzinfo=tz)


def _plan_row(
    table: Table, n: int, values: list[Any], *, source: str, batch: str | None, ctx: Context
) -> RowPlan:
    seq = str(table.cell(values, "seq") or "")
    ref = str(table.cell(values, "ref") or "").strip()
    text = str(table.cell(values, "text") or "").strip()
    plan = RowPlan(n, seq, ref, None)
    if not text:
        plan.reasons.append(_t("reasons.no_text"))
    if not ref:
        plan.reasons.append(_t("reasons.no_ref"))
    if plan.reasons:
        plan.outcome = "skipped"
        return plan
    reasons = plan.reasons
    ex = extract(text[:3000], province=ctx.province, city=ctx.city)
    found = ex.place if ex.place and not ex.place.candidates else None
    district_cell = str(table.cell(values, "district") or "").strip()
    district, town = "", ""
    place = area_of(district_cell, ctx) if district_cell else None
    if place is not None:
        district = place.district or ""
        town = place.town or ""
    elif found is not None and found.district:
        district = found.district
        reasons.append(
            _t("reasons.unknown_district", value=district_cell)
            if district_cell
            else _t("reasons.no_district")
        )
    else:
        reasons.append(
            _t("reasons.unknown_district_unfound", value=district_cell)
            if district_cell
            else _t("reasons.no_district_found")
        )
    if found is not None and (not district or found.district == district):
        town = town or found.town or ""
    types_cell = str(table.cell(values, "types") or "").strip()
    cats, unknown = categories_of(types_cell) if types_cell else ([], [])
    if unknown:
        reasons.append(_t("reasons.unknown_type", value="、".join(unknown)))
    if not cats:
        cats = text_categories(text)
        if not types_cell:
            reasons.append(_t("reasons.no_type"))
    scope = decide(text, cats or ex.categories)
    rule = None
    if scope.verdict in ("elsewhere", "unclear"):
        why = scope.topic.agent if scope.topic else texts.text("agent", "draft.transfer.default")
        reasons.append(_t("reasons.out_of_scope", reason=why))
    elif scope.verdict == "borderline" and scope.topic is not None:
        rule = scope.topic.rule
        reasons.append(_t("reasons.borderline", rule=rule))
    when = None
    cell = table.cell(values, "handed_over")
    if cell not in (None, ""):
        try:
            when = handed_over(cell, ctx.timezone)
        except ValueError:
            reasons.append(_t("reasons.bad_time", value=cell))
    row_batch = str(table.cell(values, "batch") or "").strip() or batch or table.title_batch or ""
    plan.entry = Entry(
        source=source,
        text=text,
        categories=cats,
        district=district,
        town=town,
        address=(found.address or "") if found is not None else "",
        time_text=ex.time_text or "",
        polluter=ex.polluter or "",
        external_ref=ref,
        batch=row_batch,
        handed_over_at=when,
        scope_rule=rule,
    )
    plan.outcome = "attention" if reasons else "added"
    return plan


def plan_rows(
    table: Table,
    *,
    source: str,
    store: CaseStore,
    ctx: Context,
    batch: str | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda rows: rows,
) -> list[RowPlan]:
    """Every row's plan, with rows already registered (source, 受理编号) and numbers repeated in
    the file marked. Reads the store, files nothing: this is the dry run."""
    plans: list[RowPlan] = []
    first_row: dict[str, int] = {}
    refs = [str(table.cell(values, "ref") or "").strip() for _n, values in table.rows]
    registered = ImportRuns(store).registered(source, refs)
    for n, values in progress(table.rows):
        ref = str(table.cell(values, "ref") or "").strip()
        if ref and str(table.cell(values, "text") or "").strip():
            # Numbers seen before are settled without reading the row (a second import is quick).
            seq = str(table.cell(values, "seq") or "")
            if ref in first_row:
                reason = _t("reasons.duplicate_in_file", row=first_row[ref])
                plans.append(RowPlan(n, seq, ref, None, [reason], "skipped"))
                continue
            first_row[ref] = n
            if ref in registered:
                plans.append(RowPlan(n, seq, ref, None, [], "existing", registered[ref]))
                continue
        plans.append(_plan_row(table, n, values, source=source, batch=batch, ctx=ctx))
    return plans


# -- filing ----------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    run: RunView | None
    plans: list[RowPlan]

    def count(self, outcome: str) -> int:
        return sum(1 for p in self.plans if p.outcome == outcome)

    @property
    def added(self) -> int:
        """New issues (those flagged for attention included)."""
        return self.count("added") + self.count("attention")

    def attention_rows(self) -> list[dict[str, Any]]:
        """The report: rows skipped or filed with something to check."""
        return [p.report_row() for p in self.plans if p.reasons]

    def counts(self) -> dict[str, int]:
        return {
            "total": len(self.plans),
            "added": self.count("added") + self.count("attention"),
            "existing": self.count("existing"),
            "attention": self.count("attention"),
            "skipped": self.count("skipped"),
        }


def import_rows(
    table: Table,
    plans: list[RowPlan],
    *,
    source: str,
    store: CaseStore,
    ctx: Context,
    actor: str,
    batch: str | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda rows: rows,
) -> ImportResult:
    """Files every planned row, each in its own transaction, under one import run. A row filed
    meanwhile (another import of the same number) counts as existing; a row the ledger refuses
    is reported, and the others go on."""
    runs = ImportRuns(store)
    run_id = runs.start(
        source=source,
        batch=batch or table.title_batch,
        file_name=table.file_name,
        file_sha256=table.sha256,
        actor=actor,
    )
    for plan in progress(plans):
        if plan.entry is None:
            continue
        plan.entry.import_run_id = run_id
        client_ref = f"import:{source}:{plan.ref}"
        try:
            draft = _entry_draft(
                plan.entry,
                client_ref=client_ref,
                sender_id=f"import:{run_id}",
                actor=actor,
                ctx=ctx,
            )
            issue, new = store.file(draft)
        except (EntryError, ValidationError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, EntryError)
                else "；".join(str(e.get("msg", "")) for e in exc.errors())
            )
            plan.reasons.append(_t("reasons.invalid", reasons=reason))
            plan.outcome = "skipped"
            continue
        plan.ticket = issue.ticket
        if not new:
            plan.outcome, plan.reasons = "existing", []
    result = ImportResult(None, plans)
    counts = result.counts()
    result.run = runs.finish(
        run_id,
        total=counts["total"],
        added=counts["added"],
        existing=counts["existing"],
        attention=counts["attention"] + counts["skipped"],
        report=result.attention_rows(),
    )
    logger.info(
        "import run %d source=%s rows=%d added=%d existing=%d attention=%d",
        run_id,
        source,
        counts["total"],
        counts["added"],
        counts["existing"],
        counts["attention"],
    )
    return result


REPORT_FIELDS = ("row", "seq", "ref", "outcome", "ticket", "reasons")


def report_csv(rows: list[dict[str, Any]]) -> str:
    """The rows that need attention as CSV with Chinese headers (Excel reads the BOM)."""
    labels = texts.table("staff", "table_import.report_columns")
    outcomes = texts.table("staff", "table_import.outcomes")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([labels[k] for k in REPORT_FIELDS])
    for r in rows:
        writer.writerow(
            [
                outcomes.get(str(r.get(k)), r.get(k))
                if k == "outcome"
                else _cell_safe(r.get(k, ""))
                for k in REPORT_FIELDS
            ]
        )
    return out.getvalue()
