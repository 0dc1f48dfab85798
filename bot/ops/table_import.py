"""Batch import of hand-over tables (交办表): `make import FILE=table.xlsx SOURCE=督察交办`.

    python -m bot.ops.table_import table.xlsx --source 督察交办 [--batch 第3批] [--dry-run]
                                   [--report attention.csv] [--actor 张三]

Shows how the table's columns were mapped, then files each row as an issue with its source and
受理编号 (bot/intake/handover.py): extraction fills what the row lacks, routing and the source's
deadlines apply. Re-running is safe: a (source, 受理编号) already in the ledger is not filed again,
and the summary says so. Rows that need attention (missing district, unknown type, out of scope,
a number repeated in the file …) go to the report file (CSV).

Exit status: 0 every row filed or already there without remarks, 1 some rows need attention,
2 the table (or the source) cannot be imported at all.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot import texts
from bot.casework.sources import resolve, sources
from bot.casework.store import get_store
from bot.config import get_settings
from bot.exceptions import GreenWhistleError
from bot.intake.context import Context
from bot.intake.handover import (
    MAX_FILE_BYTES,
    ImportResult,
    TableError,
    import_rows,
    plan_rows,
    read_table,
    report_csv,
)

logger = logging.getLogger(__name__)


def _t(key: str, **values: object) -> str:
    return texts.text("staff", f"table_import.{key}", **values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.table_import",
        description=_t("cli.help"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", type=Path, help=_t("cli.path"))
    parser.add_argument("--source", required=True, help=_t("cli.source"))
    parser.add_argument("--batch", default=None, help=_t("cli.batch"))
    parser.add_argument("--dry-run", action="store_true", help=_t("cli.dry_run"))
    parser.add_argument("--report", type=Path, default=None, help=_t("cli.report"))
    parser.add_argument("--actor", default="import", help=_t("cli.actor"))
    parser.add_argument("--quiet", action="store_true", help=_t("cli.quiet"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    found = resolve(args.source)
    if found is None:
        choices = "、".join(sources())
        print(_t("errors.unknown_source", source=args.source, choices=choices), file=sys.stderr)
        return 2
    if not args.path.is_file():
        print(_t("errors.not_found", path=args.path), file=sys.stderr)
        return 2
    if args.path.stat().st_size > MAX_FILE_BYTES:
        print(_t("errors.too_large", mb=MAX_FILE_BYTES // (1024 * 1024)), file=sys.stderr)
        return 2
    try:
        table = read_table(args.path.name, args.path.read_bytes())
    except TableError as exc:
        print(_t("cli.error", error=exc), file=sys.stderr)
        return 2

    print(_t("mapping_title"))
    for column, header in table.mapping_rows():
        print("  " + _t("cli.mapping", column=column, header=header))

    settings = get_settings()
    ctx = Context(
        province=settings.deployment_province,
        city=settings.deployment_city,
        timezone=settings.timezone,
    )
    store = get_store()

    def bar(what: str) -> Callable[[Iterable[Any]], Iterable[Any]]:
        def wrap(rows: Iterable[Any]) -> Iterable[Any]:
            return tqdm(
                rows,
                desc=f"{_t('cli.progress')}·{what}",
                unit=_t("cli.unit"),
                disable=args.quiet,
                file=sys.stderr,
            )

        return wrap

    try:
        plans = plan_rows(
            table, source=found.name, store=store, ctx=ctx, batch=args.batch, progress=bar("检查")
        )
        if args.dry_run:
            result = ImportResult(None, plans)
        else:
            result = import_rows(
                table,
                plans,
                source=found.name,
                store=store,
                ctx=ctx,
                actor=args.actor,
                batch=args.batch,
                progress=bar("登记"),
            )
    except GreenWhistleError as exc:  # the database went away: rows filed stay filed, once
        print(_t("cli.error", error=exc), file=sys.stderr)
        return 2
    counts = result.counts()
    print(_t("cli.dry_summary" if args.dry_run else "cli.summary", **counts))
    if counts["added"] == 0 and counts["existing"] and not args.dry_run:
        print(_t("cli.nothing_new"))
    rows = result.attention_rows()
    if rows:
        report = args.report or Path(f"import-report-{datetime.now():%Y%m%d-%H%M%S}.csv")
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(report_csv(rows), encoding="utf-8")
        print(_t("cli.report_written", path=report))
    return 1 if rows else 0


if __name__ == "__main__":
    sys.exit(main())
