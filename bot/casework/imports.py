"""Import runs (import_runs, migration 0008): who imported which hand-over table, and its report.

The batch import (bot/intake/handover.py) opens a run before its first row, so every issue it
files points at the run, and closes it with the counts and the rows that need attention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.casework.db import Transactional
from bot.casework.models import ImportRun, Issue, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunView:
    id: int
    source: str
    batch: str | None
    file_name: str
    file_sha256: str
    actor: str
    started_at: datetime
    finished_at: datetime | None
    total: int
    added: int
    existing: int
    attention: int
    report: list[dict[str, Any]]

    @classmethod
    def of(cls, row: ImportRun) -> RunView:
        return cls(
            row.id,
            row.source,
            row.batch,
            row.file_name,
            row.file_sha256,
            row.actor,
            row.started_at,
            row.finished_at,
            row.total,
            row.added,
            row.existing,
            row.attention,
            list(row.report or []),
        )


class ImportRuns:
    """The import_runs table, in the case store's database and transactions."""

    def __init__(self, store: Transactional) -> None:
        self.store = store

    def start(
        self, *, source: str, batch: str | None, file_name: str, file_sha256: str, actor: str
    ) -> int:
        with self.store.transaction() as s:
            row = ImportRun(
                source=source,
                batch=batch,
                file_name=file_name[:255],
                file_sha256=file_sha256,
                actor=actor[:64],
                started_at=utcnow(),
                total=0,
                added=0,
                existing=0,
                attention=0,
                report=[],
            )
            s.add(row)
            s.flush()
            return row.id

    def finish(
        self,
        run_id: int,
        *,
        total: int,
        added: int,
        existing: int,
        attention: int,
        report: list[dict[str, Any]],
    ) -> RunView:
        with self.store.transaction() as s:
            row = s.get(ImportRun, run_id)
            if row is None:
                raise LookupError(f"no import run {run_id}")
            row.finished_at = utcnow()
            row.total, row.added, row.existing, row.attention = total, added, existing, attention
            row.report = report
            s.flush()
            return RunView.of(row)

    def get(self, run_id: int) -> RunView | None:
        with self.store.transaction() as s:
            row = s.get(ImportRun, run_id)
            return RunView.of(row) if row else None

    def recent(self, limit: int = 10) -> list[RunView]:
        with self.store.transaction() as s:
            rows = s.execute(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)).scalars()
            return [RunView.of(r) for r in rows]

    def registered(self, source: str, refs: list[str]) -> dict[str, str]:
        """受理编号 → ticket of the numbers of `source` already in the ledger (one query per
        500 numbers, so checking a table of thousands of rows stays quick)."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(r for r in refs if r))
        with self.store.transaction() as s:
            for i in range(0, len(unique), 500):
                chunk = unique[i : i + 500]
                rows = s.execute(
                    select(Issue.external_ref, Issue.ticket).where(
                        Issue.source == source, Issue.external_ref.in_(chunk)
                    )
                )
                found.update({str(ref): str(ticket) for ref, ticket in rows})
        return found
