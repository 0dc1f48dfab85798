"""Reading hand-over tables (交办表) from .xlsx or .csv: the header row, the columns mapped from
their usual variants (bot/data/handover_columns.yml), the data rows. Nothing is filed here (see
bot/intake/handover.py).

openpyxl reads .xlsx (read-only, values only); the csv module reads CSV in UTF-8 (with or
without BOM) or GB18030. Unreadable, oversized or headless tables raise TableError with a reason
staff understand.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from bot import datafiles, texts
from bot.config import DATA_DIR

logger = logging.getLogger(__name__)

#: Largest table file accepted, rows read, and what an .xlsx may unpack to (a zip bomb guard).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
#: Rows above the header that may hold the table's title (「…一览表（第3批）」).
HEADER_SEARCH_ROWS = 10
#: Columns read from a sheet, and lines scanned (blank ones included) before giving up.
MAX_COLUMNS = 60
MAX_LINES = 4 * MAX_ROWS
_BRACKETS = re.compile(r"[（(【\[].*?[）)】\]]")
_SPACES = re.compile(r"\s+")
_BATCH = re.compile(r"第\s*([0-9０-９一二三四五六七八九十百]+)\s*批")


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
        # A crafted <dimension> (A1:XFD1048576) would pad every row to 16,384 cells: ignore it,
        # and read no more columns than a hand-over table has.
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
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
            yield [_cell(v) for v in row[:MAX_COLUMNS]]
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
        if n > MAX_LINES:
            raise TableError(_t("errors.too_many_rows", n=MAX_ROWS))
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
