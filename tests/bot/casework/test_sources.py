"""Registration sources (bot/casework/sources.py, migration 0008): the schema, per-source deadlines,
one issue per (source, 受理编号)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.casework import replays, throttle  # noqa: F401  (their tables are on Base.metadata)
from bot.casework.deadlines import calendar, handle_due, policy
from bot.casework.models import Base
from bot.casework.sources import resolve, sources
from bot.casework.store import CaseStore
from bot.config import Settings
from tests.factories import draft, quiet_work

SH = ZoneInfo("Asia/Shanghai")


def test_the_sources_of_the_issue_are_offered_in_order() -> None:
    names = list(sources())
    assert names[:2] == ["来信", "来访"] and names[-1] == "其他"
    for name in (
        "书记市长信箱",
        "部门移交",
        "网格员巡查",
        "河长巡河",
        "媒体曝光",
        "社会组织",
        "督察交办",
    ):
        assert name in names
    assert resolve(" 督察交办 ") is not None and resolve("督察交办").handover  # type: ignore[union-attr]
    assert resolve("微信") is None


def test_models_and_migrations_agree(store: CaseStore) -> None:
    """Every column and table of the models is made by the migrations, with the same type."""
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    flat = [d for entry in diff for d in (entry if isinstance(entry, list) else [entry])]
    # Indexes made only by migrations (search, FTS) are not in the models on purpose.
    relevant = [
        d
        for d in flat
        if d[0] not in ("remove_index", "remove_fk", "add_fk")
        and not (d[0] == "remove_table" and d[1].name.startswith("issues_fts"))
    ]
    assert relevant == []
    added = {d[1].name for d in flat if d[0] == "add_index"}
    assert not added & {"uq_issues_source_external_ref", "ix_issues_source", "ix_issues_batch"}


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(ValidationError):
        draft(channel="staff", source="微信群")


def test_one_issue_per_source_and_number(store: CaseStore) -> None:
    first, new = store.file(draft(channel="staff", source="督察交办", external_ref="D510700-0001"))
    again, new_again = store.file(
        draft(channel="staff", source="督察交办", external_ref="D510700-0001")
    )
    assert new and not new_again and again.ticket == first.ticket
    # The same number from another source is another item.
    other, other_new = store.file(
        draft(channel="staff", source="部门移交", external_ref="D510700-0001")
    )
    assert other_new and other.ticket != first.ticket
    # Without a number nothing is constrained.
    a, _ = store.file(draft(channel="staff", source="来信"))
    b, _ = store.file(draft(channel="staff", source="来信"))
    assert a.ticket != b.ticket
    assert store.count() == 4


def test_the_database_refuses_a_second_number_too(store: CaseStore) -> None:
    store.file(draft(channel="staff", source="督察交办", external_ref="X-1"))
    with pytest.raises(IntegrityError), store.transaction() as s:
        s.execute(
            text(
                "INSERT INTO issues (ticket, channel, anonymous, categories, phenomenon, "
                "original_text, status, created_at, updated_at, category_tags, search_text, "
                "hotspot, duplicate_count, source, external_ref) VALUES ('HB-X', 'staff', false, "
                "'[]', 'x', '', 'received', '2026-01-01', '2026-01-01', '', '', false, 0, "
                "'督察交办', 'X-1')"
            )
        )


def test_inspection_handovers_are_due_sooner_and_count_from_the_handover() -> None:
    pol = policy(Settings())
    assert pol.handle_days_for(["大气"], "督察交办") < pol.handle_days_for(["大气"], "来信")
    assert pol.handle_days_for(["大气"], "来信") == pol.handle_days_for(["大气"])
    # The stricter of category and source wins.
    assert pol.handle_days_for(["扬尘"], "督察交办") == min(
        pol.handle_days["扬尘"], pol.source_days["督察交办"]
    )
    handed = datetime(2026, 11, 20, 9, tzinfo=SH)  # a Friday
    accepted = datetime(2026, 11, 24, 9, tzinfo=SH)
    due = handle_due(accepted, ["大气"], pol, source="督察交办", handed_over=handed)
    expected = calendar().add_working_days(handed.date(), pol.source_days["督察交办"])
    assert due.astimezone(SH).date() == expected
    # Never more than 10 calendar days after the hand-over, whatever the weekday.
    for n in range(7):
        start = datetime(2026, 11, 16, 9, tzinfo=SH) + timedelta(days=n)
        d = handle_due(start, ["其他"], pol, source="督察交办", handed_over=start)
        assert (d.astimezone(SH).date() - start.date()).days <= 10


def test_filing_and_accepting_keep_the_handover_clock(store: CaseStore) -> None:
    handed = datetime(2026, 11, 20, 9, tzinfo=SH).astimezone(UTC)
    now = datetime(2026, 11, 25, 9, tzinfo=SH).astimezone(UTC)
    issue, _ = store.file(
        draft(
            channel="staff",
            source="督察交办",
            external_ref="H-7",
            batch="第1批",
            handed_over_at=handed,
            categories=["噪声"],
        ),
        now=now,
    )
    pol = policy(Settings())
    expected = calendar().add_working_days(
        handed.astimezone(SH).date(), pol.source_days["督察交办"]
    )
    assert issue.handle_due is not None
    assert issue.handle_due.astimezone(SH).date() == expected
    assert (issue.source, issue.external_ref, issue.batch) == ("督察交办", "H-7", "第1批")
    assert issue.events[0].note == "通过督察交办渠道登记"
    accepted = quiet_work(store).accept(issue.ticket, actor="t", now=now + timedelta(days=1))
    assert accepted.handle_due == issue.handle_due
    # A letter's clock starts at acceptance, as before.
    letter, _ = store.file(draft(channel="staff", source="来信", categories=["噪声"]), now=now)
    later = quiet_work(store).accept(letter.ticket, actor="t", now=now + timedelta(days=7))
    assert later.handle_due is not None and letter.handle_due is not None
    assert later.handle_due > letter.handle_due


def test_migration_0008_goes_down_and_up_without_touching_history(
    store: CaseStore, db_url: str
) -> None:
    """No table rebuild on SQLite: the issues' history and the full-text triggers (0005) stay."""
    from alembic import command

    from bot.ops.migrate import alembic_config

    issue, _ = store.file(draft(channel="staff", source="来信", external_ref="L-1"))
    quiet_work(store).accept(issue.ticket, actor="t")
    store.engine.dispose()

    def history_and_triggers() -> tuple[int, set[str]]:
        with store.engine.connect() as conn:
            events = conn.execute(text("SELECT count(*) FROM issue_events")).scalar_one()
            triggers: set[str] = set()
            if conn.dialect.name == "sqlite":
                rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
                triggers = {r[0] for r in rows}
        return int(events), triggers

    before = history_and_triggers()
    assert before[0] == 2
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0007")
    assert history_and_triggers() == before
    command.upgrade(cfg, "head")
    assert history_and_triggers() == before
    if store.engine.dialect.name == "sqlite":
        assert {"issues_fts_ai", "issues_fts_ad", "issues_fts_au"} <= before[1]
