"""The results recorded at 办结 (migration 0009): required for 督察交办, optional otherwise; a
refused 办结 changes nothing; every result is audited; merged issues get them too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, inspect, select

from bot.casework import origin, results
from bot.casework.models import FieldEdit, Issue, Notification, StatusEvent
from bot.casework.results import Results
from bot.casework.store import CaseStore
from bot.exceptions import InvalidTransition
from bot.ops.migrate import alembic_config, upgrade
from tests.factories import draft, quiet_work

FULL = Results(
    verification="经现场核查，该厂夜间确有偷排行为",
    verdict="属实",
    rectification="责令停产整改，罚款20万元",
    accountability="对企业负责人约谈",
)


@pytest.fixture
def inspection_source(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Makes the fallback source of a web-chat issue (its channel's label) one that needs results,
    as 督察交办 does: the rule, not the source column of migration 0008, is what is tested here."""
    label = origin.source_of(Issue(channel="rest", ticket="x"))
    monkeypatch.setattr(results, "required_sources", lambda: frozenset({"督察交办", label}))
    yield label


def _routed(store: CaseStore) -> str:
    issue, _ = store.file(draft())
    quiet_work(store).route(issue.ticket, department="生态环境局", district="涪城区", actor="t")
    return issue.ticket


def _counts(store: CaseStore, ticket: str) -> tuple[int, int, int]:
    with store.transaction() as s:
        issue_id = s.execute(select(Issue.id).where(Issue.ticket == ticket)).scalar_one()
        return tuple(  # type: ignore[return-value]
            int(s.execute(select(func.count()).where(model.issue_id == issue_id)).scalar_one())
            for model in (StatusEvent, Notification, FieldEdit)
        )


def test_the_shipped_rule_needs_results_for_inspection_hand_overs() -> None:
    assert "督察交办" in results.required_sources()
    assert results.verdicts() == ("属实", "基本属实", "部分属实", "不属实")
    assert set(results.published_statuses()) == {"resolved", "closed"}


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        (Results(), "调查核实情况、是否属实、处理和整改情况、责任人被处理情况"),
        (
            Results(verification="核查属实", verdict="属实", rectification="已整改"),
            "责任人被处理情况",
        ),
        (
            Results(verification="  ", verdict="属实", rectification="x", accountability="y"),
            "调查核实情况",
        ),
    ],
)
def test_a_required_result_missing_refuses_the_change_and_changes_nothing(
    store: CaseStore, inspection_source: str, given: Results, missing: str
) -> None:
    ticket = _routed(store)
    before = _counts(store, ticket)
    with pytest.raises(InvalidTransition) as exc:
        quiet_work(store).change_status(ticket, "resolved", note="已查处", actor="t", outcome=given)
    assert str(exc.value) == f"{inspection_source}件办结时须填写：{missing}。状态未改变。"
    issue = store.get(ticket)
    assert issue is not None and issue.status == "routed"
    assert issue.result_text is None and issue.verdict is None and issue.verification is None
    assert _counts(store, ticket) == before  # no event, no message to the citizen, no edit


def test_a_bad_verdict_is_refused(store: CaseStore) -> None:
    ticket = _routed(store)
    with pytest.raises(InvalidTransition, match="只能选：属实、基本属实、部分属实、不属实"):
        quiet_work(store).change_status(
            ticket, "resolved", note="已查处", actor="t", outcome=Results(verdict="真的")
        )
    assert store.get(ticket).status == "routed"  # type: ignore[union-attr]


def test_required_results_are_recorded_and_audited(
    store: CaseStore, inspection_source: str
) -> None:
    ticket = _routed(store)
    quiet_work(store).change_status(ticket, "resolved", note="已查处", actor="张受理", outcome=FULL)
    issue = store.get(ticket)
    assert issue is not None and issue.status == "resolved"
    assert (issue.verification, issue.verdict) == (FULL.verification, "属实")
    assert (issue.rectification, issue.accountability) == (FULL.rectification, FULL.accountability)
    with store.transaction() as s:
        edits = s.execute(
            select(FieldEdit.field, FieldEdit.actor, FieldEdit.new_value).where(
                FieldEdit.issue_id == issue.id, FieldEdit.field.in_(results.FIELDS)
            )
        ).all()
    assert {(f, a, v) for f, a, v in edits} == {
        (name, "张受理", getattr(FULL, name)) for name in results.FIELDS
    }


def test_results_are_optional_for_other_sources(store: CaseStore) -> None:
    plain = _routed(store)
    quiet_work(store).resolve(plain, result="已查处", actor="t")
    assert store.get(plain).status == "resolved"  # type: ignore[union-attr]
    partial = _routed(store)
    quiet_work(store).change_status(
        partial, "resolved", note="已查处", actor="t", outcome=Results(verdict="部分属实")
    )
    issue = store.get(partial)
    assert issue is not None and issue.verdict == "部分属实" and issue.verification is None


def test_only_the_change_to_resolved_records_results(store: CaseStore) -> None:
    ticket = _routed(store)
    quiet_work(store).change_status(ticket, "in_progress", actor="t", outcome=FULL)
    issue = store.get(ticket)
    assert issue is not None and issue.status == "in_progress" and issue.verdict is None


def test_resolved_again_keeps_what_is_not_rewritten(store: CaseStore) -> None:
    work = quiet_work(store)
    ticket = _routed(store)
    work.change_status(ticket, "resolved", note="已查处", actor="t", outcome=FULL)
    work.feedback(ticket, satisfied=False, actor="t")
    work.change_status(
        ticket, "resolved", note="再次核查", actor="t", outcome=Results(rectification="已复查")
    )
    issue = store.get(ticket)
    assert issue is not None and issue.rectification == "已复查"
    assert issue.verification == FULL.verification and issue.verdict == "属实"


def test_issues_merged_into_the_resolved_one_get_its_results(store: CaseStore) -> None:
    work = quiet_work(store)
    main = _routed(store)
    other, _ = store.file(draft(phenomenon="同一工厂偷排"))
    work.merge(other.ticket, main, actor="t")
    work.change_status(main, "resolved", note="已查处", actor="t", outcome=FULL)
    child = store.get(other.ticket)
    assert child is not None and child.status == "resolved" and child.verdict == "属实"


def test_migration_and_models_have_the_same_result_columns(store: CaseStore) -> None:
    insp = inspect(store.engine)
    columns = {c["name"]: c for c in insp.get_columns("issues")}
    for name in results.FIELDS:
        assert name in columns, name
        model = Issue.__table__.c[name]
        assert columns[name]["nullable"] and model.nullable
        assert (
            type(columns[name]["type"]).__name__.upper().startswith(("TEXT", "VARCHAR", "STRING"))
        )
    assert Issue.__table__.c["verdict"].type.length == 8  # type: ignore[attr-defined]
    indexes = {ix["name"]: ix["column_names"] for ix in insp.get_indexes("issues")}
    assert indexes["ix_issues_status_resolved"] == ["status", "resolved_at"]


def test_migration_0009_goes_down_and_up_keeping_the_issues(db_url: str) -> None:
    from alembic import command

    store = CaseStore.from_url(db_url)
    try:
        issue, _ = store.file(draft())
        command.downgrade(alembic_config(db_url), "-1")
        names = {c["name"] for c in inspect(store.engine).get_columns("issues")}
        assert not names & set(results.FIELDS)
        upgrade(db_url)
        store.engine.dispose()
        again = store.get(issue.ticket)
        assert again is not None and again.verdict is None
    finally:
        store.engine.dispose()


def test_alembic_finds_no_difference_in_the_result_columns(store: CaseStore) -> None:
    """Autogenerate's comparison of the migrated database with the models: whatever else it
    reports (older tables the models do not declare), nothing about migration 0009's columns."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.casework.models import Base

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    ours = (*results.FIELDS, "ix_issues_status_resolved")
    assert not [d for d in diffs if any(name in repr(d) for name in ours)]
