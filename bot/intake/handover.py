"""Hand-over tables (交办表): an inspection team's or a department's batch of numbered complaints
read from .xlsx or .csv, each row registered as an issue with its source and 受理编号.

    table = read_table(name, data)                # columns mapped from the headers (read-only)
    plans = plan_rows(table, source=…, store=…)    # what each row would become, and why to look
    result = import_rows(plans, …)                 # files the rows; idempotent by (source, 受理编号)

The headers a column goes by are data (bot/data/handover_columns.yml); what the table lacks,
extraction fills from the complaint text (district, town, address, polluter, types), and routing
and the source's deadlines apply as for every filing (bot/casework/filing.py). Used by the CLI
(bot/ops/table_import.py, `make import`) and the console's upload (/console/import).

openpyxl reads .xlsx (read-only, values only); the csv module reads CSV in UTF-8 (with or
without BOM) or GB18030. Unreadable, oversized or headless tables raise TableError before any
row is filed; afterwards every row is filed or reported on its own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot import datafiles, texts
from bot.casework.imports import ImportRuns, RunView
from bot.casework.ledger import _xlsx_safe as _cell_safe
from bot.casework.store import CaseStore
from bot.config import DATA_DIR
from bot.intake.context import Context
from bot.intake.register import (
    Entry,
    EntryError,
    area_of,
    categories_of,
    text_categories,
)
from bot.intake.register import entry_draft as _entry_draft
from bot.nlp.extraction import extract
from bot.nlp.scope import decide

logger = logging.getLogger(__name__)

#: Largest table file accepted, rows read, and what an .xlsx may unpack to (a zip bomb guard).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
#: Rows above the header that may hold the table's title (「…一览表（第3批）」).
HEADER_SEARCH_ROWS = 10
_BRACKETS = re.compile(r"[（(【\[].*?[）)】\]]")
_SPACES = re.compile(r"\s+")
_BATCH = re.compile(r"第\s*([0-9０-９一二三四五六七八九十百]+)\s*批")
_DATE = re.compile(
    r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?\s*(?:(\d{1,2})[:：](\d{2}))?"
)


class TableError(ValueError):
    """A table that cannot be imported at all; the message is for staff, in Chinese."""


def _t(key: str, **values: object) -> str:
    return texts.text("staff", f"table_import.{key}", **values)


# -- the columns (bot/data/handover_columns.yml) --------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    headers: list[datafiles.Word]
    required: bool = False


@dataclass(frozen=True)
class ColumnsFile:
    columns: list[Column] = field(default_factory=list)

    def __post_init__(self) -> None:
        known = set(texts.table("staff", "table_import.columns"))
        for i, c in enumerate(self.columns):
            if c.key not in known:
                raise datafiles.Invalid(f"{c.key} has no label in staff.yml", "columns", i)


@lru_cache(maxsize=1)
def columns_file() -> ColumnsFile:
    return datafiles.load(DATA_DIR / "handover_columns.yml", ColumnsFile)


def _norm(header: object) -> str:
    return _SPACES.sub("", _BRACKETS.sub("", str(header or ""))).strip("：:*")


def map_headers(headers: list[str]) -> dict[str, int]:
    """Column key → index in `headers`: exact names first, then headers that contain a name."""
    normal = [_norm(h) for h in headers]
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    cols = columns_file().columns
    for exact in (True, False):
        for col in cols:
            if col.key in mapping:
                continue
            for name in sorted(col.headers, key=len, reverse=True):
                hit = next(
                    (
                        i
                        for i, h in enumerate(normal)
                        if i not in taken and h and (h == name if exact else name in h)
                    ),
                    None,
                )
                if hit is not None:
                    mapping[col.key] = hit
                    taken.add(hit)
                    break
    return mapping


# -- reading ---------------------------------------------------------------------------------------
@dataclass
class Table:
    """The rows of a table under its header, and how its columns were mapped."""

    file_name: str
    sha256: str
    headers: list[str]
    mapping: dict[str, int]
    #: (row number in the sheet or file, cell values as text or datetime) of each data row.
    rows: list[tuple[int, list[Any]]]
    #: 第N批 found in a title row above the header, if any.
    title_batch: str | None = None

    def mapping_rows(self) -> list[tuple[str, str]]:
        """(our column, the header it was read from or a note) for the preview."""
        labels = texts.table("staff", "table_import.columns")
        out = [
            (
                str(labels[c.key]),
                self.headers[self.mapping[c.key]]
                if c.key in self.mapping
                else _t("missing_column"),
            )
            for c in columns_file().columns
        ]
        used = set(self.mapping.values())
        out += [(_t("unmapped"), h) for i, h in enumerate(self.headers) if i not in used and h]
        return out

    def cell(self, values: list[Any], key: str) -> Any:
        i = self.mapping.get(key)
        return values[i] if i is not None and i < len(values) else None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
                raise TableError(_t("errors.too_large", mb=MAX_FILE_BYTES // (1024 * 1024)))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a malformed file
        raise TableError(_t("errors.unreadable", reason=type(exc).__name__)) from exc
    try:
        sheet = book.active if book.active is not None else book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    except TableError:
        raise
    except Exception as exc:
        raise TableError(_t("errors.unreadable", reason=type(exc).__name__)) from exc
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    if b"\x00" in data[:4096]:
        raise TableError(_t("errors.not_text"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_t("errors.not_text"))
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            yield [_cell(v) for v in row]
    except csv.Error as exc:
        raise TableError(_t("errors.unreadable", reason=str(exc))) from exc


def read_table(file_name: str, data: bytes) -> Table:
    """The table in an .xlsx or .csv file; TableError when it cannot be imported at all."""
    if len(data) > MAX_FILE_BYTES:
        raise TableError(_t("errors.too_large", mb=MAX_FILE_BYTES // (1024 * 1024)))
    lower = file_name.lower()
    if lower.endswith(".xlsx") or lower.endswith(".xlsm"):
        rows: Iterable[list[Any]] = _xlsx_rows(data)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        rows = _csv_rows(data)
    else:
        raise TableError(_t("errors.unsupported"))
    required = [c.key for c in columns_file().columns if c.required]
    labels = texts.table("staff", "table_import.columns")
    headers: list[str] | None = None
    mapping: dict[str, int] = {}
    title_batch: str | None = None
    body: list[tuple[int, list[Any]]] = []
    for n, values in enumerate(rows, 1):
        if headers is None:
            texts_in_row = [str(v) for v in values if isinstance(v, str) and v]
            candidate = map_headers([str(v) if not isinstance(v, datetime) else "" for v in values])
            if len(candidate) >= 2 and any(k in candidate for k in required):
                headers = [str(v) if isinstance(v, str) else "" for v in values]
                mapping = candidate
                continue
            if title_batch is None:
                m = next((_BATCH.search(t) for t in texts_in_row if _BATCH.search(t)), None)
                title_batch = m.group(0).replace(" ", "") if m else None
            if n >= HEADER_SEARCH_ROWS:
                raise TableError(_t("errors.no_header"))
            continue
        if not any(v not in ("", None) for v in values):
            continue
        if len(body) >= MAX_ROWS:
            raise TableError(_t("errors.too_many_rows", n=MAX_ROWS))
        body.append((n, values))
    if headers is None:
        raise TableError(_t("errors.no_header"))
    lacking = [str(labels[k]) for k in required if k not in mapping]
    if lacking:
        raise TableError(_t("errors.missing_required", columns="、".join(lacking)))
    if not body:
        raise TableError(_t("errors.empty"))
    return Table(
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        headers=headers,
        mapping=mapping,
        rows=body,
        title_batch=title_batch,
    )


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
    for n, values in progress(table.rows):
        plan = _plan_row(table, n, values, source=source, batch=batch, ctx=ctx)
        if plan.ref and plan.outcome != "skipped":
            if plan.ref in first_row:
                plan.entry = None
                plan.outcome = "skipped"
                plan.reasons.insert(0, _t("reasons.duplicate_in_file", row=first_row[plan.ref]))
            else:
                first_row[plan.ref] = n
                same = store.by_external_ref(source, plan.ref)
                if same is not None:
                    plan.entry = None
                    plan.outcome = "existing"
                    plan.ticket = same.ticket
                    plan.reasons = []
        plans.append(plan)
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
