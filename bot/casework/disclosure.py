"""What is published: the 公开情况一览表 (by batch or by month) and the public 曝光台 list.

An allow-list from the query up: only the columns in `_COLUMNS` are read, only issues in a
published status (bot/data/disclosure.yml: 已办结, 已关闭) are selected whatever the filter, and a
`PublicRow` has nothing but the published columns. Every free text goes through
`bot.nlp.privacy.redact_personal` with the reporter's name, so phones (in any form), ID numbers and
names do not reach the public. The reporter's name is read for that and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, Select, func, or_, select

from bot import texts
from bot.casework import origin, results
from bot.casework.catalog import categories
from bot.casework.ledger import _xlsx_safe
from bot.casework.models import Issue
from bot.casework.store import CaseStore
from bot.exceptions import InvalidReport
from bot.nlp.privacy import redact_personal

logger = logging.getLogger(__name__)

#: The published table's header row, in order (staff.yml disclosure.columns).
COLUMNS: tuple[str, ...] = tuple(texts.table("staff", "disclosure.columns").values())
#: A page of the 曝光台 never goes past this (a crafted page number gets an empty page).
MAX_PAGE = 10_000
EMPTY = "—"


@dataclass(frozen=True)
class PublicRow:
    """One published line. Nothing else about an issue is ever given to the public."""

    number: int
    ticket: str
    receipt_no: str
    complaint: str
    district: str
    categories: str
    verification: str
    verdict: str
    rectification: str
    accountability: str
    resolved_on: str

    def cells(self) -> list[Any]:
        """The row in the published column order (COLUMNS)."""
        return [
            self.number,
            self.receipt_no,
            self.complaint,
            self.district,
            self.categories,
            self.verification,
            self.verdict,
            self.rectification,
            self.accountability,
        ]


@dataclass(frozen=True)
class PublicFilter:
    """The 曝光台's filters: month of 办结 (local), district, pollution type (with its sub-types)."""

    month: tuple[int, int] | None = None
    district: str = ""
    category: str = ""


@dataclass(frozen=True)
class Selection:
    """What one 公开情况一览表 covers: a batch (source and batch number) or a month of 办结."""

    source: str = ""
    batch: str = ""
    month: tuple[int, int] | None = None

    @property
    def is_batch(self) -> bool:
        return bool(self.batch)

    def scope(self) -> str:
        if self.is_batch:
            return texts.text(
                "staff", "disclosure.batch_scope", source=self.source, batch=self.batch
            )
        assert self.month is not None
        year, month = self.month
        return texts.text("staff", "disclosure.month_scope", year=year, month=month)


@dataclass(frozen=True)
class SelectionCounts:
    """How many issues the selection has, and how many of them are finished and listed."""

    total: int
    published: int

    @property
    def unfinished(self) -> int:
        return self.total - self.published


def _columns() -> list[Any]:
    """The columns publishing reads: the allow-list at the source."""
    cols: list[Any] = [
        Issue.id,
        Issue.ticket,
        Issue.channel,
        Issue.phenomenon,
        Issue.district,
        Issue.city,
        Issue.categories,
        Issue.verification,
        Issue.verdict,
        Issue.rectification,
        Issue.accountability,
        Issue.resolved_at,
        Issue.reporter_name,  # only to remove it from the texts
    ]
    cols.append(Issue.external_ref.label(origin.RECEIPT_NO))
    return cols


def _published(stmt: Select[Any]) -> Select[Any]:
    return stmt.where(Issue.status.in_(results.published_statuses()))


def _month_range(month: tuple[int, int], tz: ZoneInfo) -> tuple[datetime, datetime]:
    year, mon = month
    if not (1 <= mon <= 12 and 2000 <= year <= 2100):
        raise InvalidReport(texts.text("staff", "disclosure.errors.bad_month"))
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def _category_clause(category: str) -> ColumnElement[bool]:
    """The category or any of its sub-types (大气 finds 油烟 and 扬尘 too)."""
    names = [c.name for c in categories().values() if category in (c.name, c.parent)]
    return or_(*(Issue.category_tags.like(f"%|{n}|%") for n in names))


def _row(data: Any, number: int, tz: ZoneInfo) -> PublicRow:
    names = [data.reporter_name]

    def clean(text: str | None) -> str:
        return redact_personal(text, names).strip() or EMPTY

    return PublicRow(
        number=number,
        ticket=data.ticket,
        receipt_no=origin.receipt_no_of(data),
        complaint=clean(data.phenomenon),
        district=data.district or data.city or EMPTY,
        categories="、".join(data.categories or []) or EMPTY,
        verification=clean(data.verification),
        verdict=data.verdict or EMPTY,
        rectification=clean(data.rectification),
        accountability=clean(data.accountability),
        resolved_on=data.resolved_at.astimezone(tz).strftime("%Y-%m-%d")
        if data.resolved_at
        else EMPTY,
    )


class Disclosure:
    """Read side of publishing over a CaseStore."""

    def __init__(self, store: CaseStore, timezone: str = "Asia/Shanghai") -> None:
        self.store = store
        self.tz = ZoneInfo(timezone)

    # -- the 曝光台 -------------------------------------------------------------------------------
    def _public_filter(self, stmt: Select[Any], f: PublicFilter) -> Select[Any]:
        stmt = _published(stmt)
        if f.month is not None:
            start, end = _month_range(f.month, self.tz)
            stmt = stmt.where(Issue.resolved_at >= start, Issue.resolved_at < end)
        if f.district:
            stmt = stmt.where(Issue.district == f.district)
        if f.category:
            if f.category not in categories():
                return stmt.where(Issue.id.is_(None))  # nothing: an unknown type has no issues
            stmt = stmt.where(_category_clause(f.category))
        return stmt

    def public_page(self, f: PublicFilter, *, page: int, size: int) -> tuple[list[PublicRow], int]:
        """One page of published issues, latest 办结 first, and how many there are in all."""
        page = max(1, page)
        with self.store.transaction() as s:
            total = int(
                s.execute(self._public_filter(select(func.count(Issue.id)), f)).scalar_one()
            )
            if page > MAX_PAGE or (page - 1) * size >= total:
                return [], total
            stmt = (
                self._public_filter(select(*_columns()), f)
                .order_by(Issue.resolved_at.desc(), Issue.id.desc())
                .limit(size)
                .offset((page - 1) * size)
            )
            found = list(s.execute(stmt))
        first = (page - 1) * size + 1
        return [_row(r, first + i, self.tz) for i, r in enumerate(found)], total

    def public_item(self, ticket: str) -> PublicRow | None:
        """One published issue by its ticket; None for any issue that is not published."""
        with self.store.transaction() as s:
            found = s.execute(_published(select(*_columns())).where(Issue.ticket == ticket)).first()
        return _row(found, 1, self.tz) if found is not None else None

    def public_districts(self) -> list[str]:
        """Districts that have published issues (the filter's choices)."""
        stmt = _published(select(Issue.district)).where(Issue.district.is_not(None)).distinct()
        with self.store.transaction() as s:
            return sorted(str(d) for d in s.execute(stmt.limit(200)).scalars() if d)

    # -- the 公开情况一览表 -------------------------------------------------------------------------
    def batches(self) -> list[tuple[str, str]]:
        """(source, batch) pairs in the ledger, newest batch numbers last."""
        stmt = (
            select(Issue.source, Issue.batch)
            .where(Issue.batch.is_not(None), Issue.batch != "")
            .distinct()
        )
        with self.store.transaction() as s:
            return sorted((str(a), str(b)) for a, b in s.execute(stmt.limit(500)).tuples())

    def _selection_filter(self, stmt: Select[Any], sel: Selection) -> Select[Any]:
        if sel.is_batch:
            return stmt.where(Issue.source == sel.source, Issue.batch == sel.batch)
        if sel.month is None:
            raise InvalidReport(texts.text("staff", "disclosure.errors.bad_selection"))
        start, end = _month_range(sel.month, self.tz)
        return stmt.where(Issue.resolved_at >= start, Issue.resolved_at < end)

    def selection(self, sel: Selection) -> tuple[list[PublicRow], SelectionCounts]:
        """The finished issues of a batch (by 受理编号) or a month (by 办结), and the counts."""
        order: tuple[Any, ...] = (
            (Issue.external_ref, Issue.id) if sel.is_batch else (Issue.resolved_at, Issue.id)
        )
        with self.store.transaction() as s:
            found = list(
                s.execute(
                    _published(self._selection_filter(select(*_columns()), sel)).order_by(*order)
                )
            )
            total = len(found)
            if sel.is_batch:
                counted = self._selection_filter(select(func.count(Issue.id)), sel)
                total = int(s.execute(counted).scalar_one())
        rows = [_row(r, i, self.tz) for i, r in enumerate(found, 1)]
        return rows, SelectionCounts(total=total, published=len(rows))


def export_xlsx(rows: list[PublicRow], *, scope: str) -> bytes:
    """The 公开情况一览表 as published: a title row, the header, one row per issue, ready to print
    (landscape, one page wide, the header repeated on every page)."""
    title = f"{texts.text('staff', 'disclosure.title')}（{scope}）"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.text("staff", "disclosure.sheet")[:31]
    widths = (6, 18, 48, 12, 10, 40, 10, 40, 28)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    ws.append(list(COLUMNS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for row in rows:
        ws.append([_xlsx_safe(v) for v in row.cells()])
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
