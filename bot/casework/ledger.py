"""The ledger (问题台账) as the office reads it: filtered lists, the Excel export, monthly figures.

Every filter is done in SQL over indexed columns (status, department, district, channel,
created_at, handle_due, the |category| tags) so a list of 100,000 issues stays fast; full-text
search is a substring LIKE over one lower-cased column, narrowed by a trigram index (SQLite FTS5
`issues_fts`, PostgreSQL pg_trgm; migration 0005) for words of 3+ characters. The total of a
filtered list is counted up to COUNT_CAP. Department staff are scoped here, not in templates.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, and_, bindparam, column, func, or_, select, table, text

from bot import texts
from bot.casework import deadlines, lifecycle
from bot.casework.catalog import categories, statuses
from bot.casework.models import Issue
from bot.casework.store import CaseStore
from bot.nlp.privacy import mask_phones_in_text

logger = logging.getLogger(__name__)

#: What the ledger's queries hand out: issues as read in one transaction, detached afterwards, for
#: reading only (every change goes through bot.casework.commands).
IssueRecord = Issue

#: Channel code → the label staff see (staff.yml ledger.channels).
CHANNEL_LABELS: dict[str, str] = texts.table("staff", "ledger.channels")
SORTS: dict[str, tuple[Any, ...]] = {
    "-created": (Issue.created_at.desc(), Issue.id.desc()),
    "created": (Issue.created_at.asc(), Issue.id.asc()),
    "due": (Issue.handle_due.asc(), Issue.id.asc()),
    "-updated": (Issue.updated_at.desc(), Issue.id.desc()),
    "ticket": (Issue.ticket.asc(),),
}
#: Sort code (in the URL) → its key in staff.yml ledger.sorts, whose keys cannot start with "-".
_SORT_KEYS = {
    "-created": "newest",
    "created": "oldest",
    "due": "due",
    "-updated": "updated",
    "ticket": "ticket",
}
SORT_LABELS: dict[str, str] = {
    code: texts.table("staff", "ledger.sorts")[key] for code, key in _SORT_KEYS.items()
}
#: The export's header row, in column order (staff.yml ledger.columns).
LEDGER_COLUMNS: tuple[str, ...] = tuple(texts.table("staff", "ledger.columns").values())
Deadline = Literal["", "overdue", "soon"]
#: A filtered list counts at most this many matches ("10,000+"); counting all of 100,000 rows
#: for every page costs more than the page itself.
COUNT_CAP = 10_000
#: SQLite's trigram index over issues.search_text (migration 0005), kept in sync by triggers.
_FTS = table("issues_fts", column("rowid"), column("search_text"))
_FTS_MIN_CHARS = 3  # a trigram index cannot answer shorter words: they stay a LIKE scan


@dataclass
class IssueFilter:
    """What the list shows; the same filter drives the page, the count and the export."""

    statuses: Sequence[str] = ()
    category: str = ""
    district: str = ""
    department: str = ""
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None
    deadline: Deadline = ""
    duplicates: bool = False
    hotspot: bool = False
    q: str = ""
    sort: str = "-created"
    #: Department staff see only their own department's issues (set by the console, not a form).
    scope_department: str | None = None


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def search_words(q: str) -> list[str]:
    return q.lower().split()[:5]


def apply_filter(
    stmt: Select[Any], f: IssueFilter, *, now: datetime, tz: ZoneInfo, fts: bool = False
) -> Select[Any]:
    """`fts`: the database has SQLite's issues_fts table (see has_fts)."""
    if f.scope_department is not None:
        stmt = stmt.where(Issue.department == f.scope_department)
    if f.statuses:
        stmt = stmt.where(Issue.status.in_(list(f.statuses)))
    if f.category:
        stmt = stmt.where(Issue.category_tags.like(f"%|{f.category}|%"))
    if f.district:
        stmt = stmt.where(Issue.district == f.district)
    if f.department:
        stmt = stmt.where(Issue.department == f.department)
    if f.channel:
        stmt = stmt.where(Issue.channel == f.channel)
    if f.date_from:
        stmt = stmt.where(Issue.created_at >= _local_start(f.date_from, tz))
    if f.date_to:
        stmt = stmt.where(Issue.created_at < _local_start(f.date_to + timedelta(days=1), tz))
    if f.deadline:
        running = [c for c in statuses() if c not in lifecycle.FINISHED]
        cutoff = now if f.deadline == "overdue" else deadlines.soon_cutoff(now, deadlines.policy())
        late = or_(
            and_(Issue.status.in_(running), Issue.handle_due < cutoff),
            and_(Issue.status == "received", Issue.accept_due < cutoff),
        )
        stmt = stmt.where(late)
        if f.deadline == "soon":
            stmt = stmt.where(Issue.handle_due >= now)
    if f.duplicates:
        stmt = stmt.where(or_(Issue.duplicate_count > 0, Issue.merged_into_id.is_not(None)))
    if f.hotspot:
        stmt = stmt.where(Issue.hotspot.is_(True))
    words = search_words(f.q)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # Inlined, not a bound parameter: a server-side prepared statement (psycopg prepares
        # after 5 runs) gets a generic plan that cannot use the pg_trgm index.
        pattern = bindparam(
            None, f"%{escaped}%", type_=Issue.search_text.type, literal_execute=True
        )
        stmt = stmt.where(Issue.search_text.like(pattern, escape="\\"))
    indexed = [w for w in words if len(w) >= _FTS_MIN_CHARS]
    if fts and indexed:
        # The trigram index finds the candidates; the LIKEs above keep the exact semantics.
        phrase = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
        stmt = stmt.where(
            Issue.id.in_(select(_FTS.c.rowid).where(_FTS.c.search_text.match(phrase)))
        )
    return stmt


def filters_anything(f: IssueFilter) -> bool:
    """Whether the list is narrowed beyond the member's scope (then its total is capped)."""
    return bool(
        f.statuses
        or f.category
        or f.district
        or f.department
        or f.channel
        or f.date_from
        or f.date_to
        or f.deadline
        or f.duplicates
        or f.hotspot
        or f.q.strip()
    )


class Ledger:
    """Read side of the console over a CaseStore."""

    def __init__(self, store: CaseStore, timezone: str = "Asia/Shanghai") -> None:
        self.store = store
        self.tz = ZoneInfo(timezone)
        self._policy = deadlines.policy()
        self._fts: bool | None = None

    def has_fts(self) -> bool:
        """Whether this is SQLite with the issues_fts trigram table (looked up once)."""
        if self._fts is None:
            self._fts = False
            if self.store.engine.dialect.name == "sqlite":
                with self.store.transaction() as s:
                    self._fts = (
                        s.execute(
                            text(
                                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'issues_fts'"
                            )
                        ).first()
                        is not None
                    )
        return self._fts

    def _filtered(self, stmt: Select[Any], f: IssueFilter, now: datetime) -> Select[Any]:
        fts = any(len(w) >= _FTS_MIN_CHARS for w in search_words(f.q)) and self.has_fts()
        return apply_filter(stmt, f, now=now, tz=self.tz, fts=fts)

    def page(
        self, f: IssueFilter, *, page: int, size: int, now: datetime
    ) -> tuple[list[Issue], int, bool]:
        """One page of issues (detached ORM objects, read-only), the total and whether the total
        is only a lower bound: a filtered list counts up to COUNT_CAP (or just past this page)."""
        with self.store.transaction() as s:
            base = self._filtered(select(Issue), f, now)
            order = SORTS.get(f.sort, SORTS["-created"])
            rows = list(
                s.execute(base.order_by(*order).limit(size).offset((page - 1) * size)).scalars()
            )
            s.expunge_all()
            if not filters_anything(f):
                counted = self._filtered(select(func.count(Issue.id)), f, now)
                return rows, int(s.execute(counted).scalar_one()), False
            cap = max(COUNT_CAP, page * size)
            limited = self._filtered(select(Issue.id), f, now).limit(cap + 1).subquery()
            total = int(s.execute(select(func.count()).select_from(limited)).scalar_one())
            return rows, min(total, cap), total > cap

    def iter_all(self, f: IssueFilter, *, now: datetime, batch: int = 2000) -> Iterator[Issue]:
        """Every issue matching `f`, in batches (keyset on id) so memory stays flat."""
        last_id = 0
        while True:
            with self.store.transaction() as s:
                stmt = self._filtered(select(Issue), f, now)
                rows = list(
                    s.execute(
                        stmt.where(Issue.id > last_id).order_by(Issue.id).limit(batch)
                    ).scalars()
                )
                s.expunge_all()
            if not rows:
                return
            yield from rows
            last_id = rows[-1].id

    def tickets_by_id(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        with self.store.transaction() as s:
            return dict(
                s.execute(select(Issue.id, Issue.ticket).where(Issue.id.in_(list(ids))))
                .tuples()
                .all()
            )

    def distinct(self, column: str, scope_department: str | None = None) -> list[str]:
        """Values present in the ledger, for filter drop-downs (district, department).

        A loose index scan (one index lookup per distinct value, via a recursive CTE) instead of
        reading all 100,000 rows on every list page; scoped by ix_issues_department_district.
        """
        name = getattr(Issue, column).key  # only a mapped column's name goes into the SQL
        scope = "" if scope_department is None else " AND department = :scope"
        sql = text(
            "WITH RECURSIVE v(x, n) AS ("
            f" SELECT (SELECT min({name}) FROM issues WHERE {name} IS NOT NULL{scope}), 1"
            " UNION ALL"
            f" SELECT (SELECT min({name}) FROM issues WHERE {name} > v.x{scope}), n + 1"
            " FROM v WHERE v.x IS NOT NULL AND n < :limit"
            ") SELECT x FROM v WHERE x IS NOT NULL"
        )
        params: dict[str, Any] = {"limit": 200}
        if scope_department is not None:
            params["scope"] = scope_department
        with self.store.transaction() as s:
            return [str(v) for v in s.execute(sql, params).scalars() if v]

    # -- export ---------------------------------------------------------------------------------
    def ledger_row(self, issue: Issue, *, now: datetime, merged_ticket: str | None) -> list[Any]:
        status = statuses().get(issue.status)
        accepted = (
            issue.accepted_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
            if issue.accepted_at
            else ""
        )
        due = issue.handle_due.astimezone(self.tz).strftime("%Y-%m-%d") if issue.handle_due else ""
        flag = deadlines.flag(
            issue.handle_due, now, finished=issue.status in lifecycle.FINISHED, pol=self._policy
        )
        if flag == "overdue":
            due += texts.text("staff", "ledger.export.overdue")
        duplicate = texts.text("staff", "ledger.export.not_duplicate")
        if merged_ticket:
            duplicate = texts.text("staff", "ledger.export.merged_into", ticket=merged_ticket)
        elif issue.duplicate_count:
            duplicate = texts.text("staff", "ledger.export.suspected_duplicate")
        if issue.hotspot:
            duplicate += texts.text("staff", "ledger.export.hotspot")
        return [
            issue.ticket,
            CHANNEL_LABELS.get(issue.channel, issue.channel),
            accepted,
            "、".join(issue.categories),
            "".join(p for p in (issue.district, issue.town) if p),
            mask_phones_in_text(issue.address),
            mask_phones_in_text(issue.polluter),
            mask_phones_in_text(issue.phenomenon),
            issue.department or "",
            due,
            status.label if status else issue.status,
            mask_phones_in_text(issue.result_text),
            duplicate,
        ]

    def export_xlsx(self, f: IssueFilter, *, now: datetime, title: str | None = None) -> bytes:
        """The 台账 as an .xlsx workbook (write-only mode: 100,000 rows without holding them)."""
        title = title or texts.text("staff", "ledger.export.title")
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title[:31])
        widths = (20, 10, 17, 10, 16, 30, 24, 50, 12, 18, 10, 40, 14)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
        from openpyxl.cell import WriteOnlyCell

        header = []
        for name in LEDGER_COLUMNS:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="2F6B3F")
            cell.alignment = Alignment(horizontal="center")
            header.append(cell)
        ws.append(header)
        merged_ids: dict[int, str] = {}
        for issue in self.iter_all(f, now=now):
            merged = None
            if issue.merged_into_id:
                if issue.merged_into_id not in merged_ids:
                    merged_ids.update(self.tickets_by_id([issue.merged_into_id]))
                merged = merged_ids.get(issue.merged_into_id)
            ws.append(
                [_xlsx_safe(v) for v in self.ledger_row(issue, now=now, merged_ticket=merged)]
            )
        out = BytesIO()
        wb.save(out)
        return out.getvalue()

    # -- monthly report -------------------------------------------------------------------------
    def monthly(
        self, year: int, month: int, *, now: datetime, scope_department: str | None = None
    ) -> MonthlyFigures:
        """Figures for one calendar month (local time) of registrations."""
        start = datetime(year, month, 1, tzinfo=self.tz)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=self.tz)
        cols = (
            Issue.categories,
            Issue.district,
            Issue.channel,
            Issue.status,
            Issue.handle_due,
            Issue.resolved_at,
            Issue.satisfaction,
            Issue.merged_into_id,
            Issue.department,
            Issue.hotspot,
        )
        figs = MonthlyFigures(year=year, month=month)
        top = {c.name: c.top for c in categories().values()}
        words = texts.table("staff", "ledger.monthly")
        timeliness = texts.table("staff", "ledger.timeliness")
        with self.store.transaction() as s:
            stmt = select(*cols).where(Issue.created_at >= start, Issue.created_at < end)
            if scope_department is not None:
                stmt = stmt.where(Issue.department == scope_department)
            for (
                cats,
                district,
                channel,
                status,
                due,
                resolved,
                satisfaction,
                merged,
                dept,
                hot,
            ) in s.execute(stmt.execution_options(yield_per=5000)):
                figs.total += 1
                if merged:
                    figs.merged += 1
                    continue  # a merged report is one problem: counted once, on the main issue
                figs.problems += 1
                for cat in dict.fromkeys(top.get(c, c) for c in cats or []):
                    figs.by_category[cat] += 1
                figs.by_district[district or words["no_district"]] += 1
                figs.by_channel[CHANNEL_LABELS.get(channel, channel)] += 1
                figs.by_department[dept or words["not_routed"]] += 1
                if hot:
                    figs.hotspots += 1
                if resolved is not None or status in ("closed", "resolved"):
                    figs.finished += 1
                    on_time = due is None or (resolved is not None and resolved <= due)
                    figs.timeliness[timeliness["on_time" if on_time else "late"]] += 1
                elif status == "transferred":
                    figs.timeliness[timeliness["transferred"]] += 1
                elif due is not None and now > due:
                    figs.timeliness[timeliness["overdue"]] += 1
                else:
                    figs.timeliness[timeliness["in_progress"]] += 1
                if satisfaction:
                    figs.satisfaction[satisfaction] += 1
                elif status == "resolved":
                    figs.satisfaction[words["awaiting_feedback"]] += 1
        return figs


@dataclass
class MonthlyFigures:
    year: int
    month: int
    total: int = 0
    problems: int = 0
    merged: int = 0
    finished: int = 0
    hotspots: int = 0

    def __post_init__(self) -> None:
        self.by_category: Counter[str] = Counter()
        self.by_district: Counter[str] = Counter()
        self.by_channel: Counter[str] = Counter()
        self.by_department: Counter[str] = Counter()
        self.timeliness: Counter[str] = Counter()
        self.satisfaction: Counter[str] = Counter()

    @property
    def satisfaction_rate(self) -> float | None:
        answers = texts.table("staff", "casework.satisfaction")
        yes = self.satisfaction[answers["satisfied"]]
        answered = yes + self.satisfaction[answers["unsatisfied"]]
        return yes / answered if answered else None

    @property
    def on_time_rate(self) -> float | None:
        timeliness = texts.table("staff", "ledger.timeliness")
        on_time = self.timeliness[timeliness["on_time"]]
        done = on_time + self.timeliness[timeliness["late"]]
        return on_time / done if done else None


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


def _xlsx_safe(value: Any) -> Any:
    """Citizen text that starts with = + - @ would be a formula in Excel: keep it text."""
    if isinstance(value, str):
        value = _CONTROL_CHARS.sub("", value)
        if value[:1] in ("=", "+", "-", "@"):
            return "'" + value
    return value
