"""The lifecycle: allowed transitions as data, what each needs, audit, notifications, merges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.casework import notify
from bot.casework.catalog import statuses
from bot.casework.commands import CaseWork
from bot.casework.lifecycle import check, citizen_status, feedback_question, rules
from bot.casework.notify import callback_script
from bot.casework.schemas import EventView, IssueView
from bot.casework.store import CaseStore
from bot.exceptions import InvalidReport, InvalidTransition, IssueNotFound
from bot.intake import Context, status_variables
from tests.factories import draft

Sent = list[tuple[IssueView, EventView]]


@pytest.mark.parametrize(
    ("frm", "to", "ok"),
    [
        ("received", "accepted", True),
        ("received", "transferred", True),
        ("accepted", "routed", True),
        ("routed", "in_progress", True),
        ("in_progress", "resolved", True),
        ("resolved", "closed", True),
        ("resolved", "reopened", True),
        ("closed", "reopened", True),
        ("received", "resolved", False),
        ("received", "closed", False),
        ("closed", "in_progress", False),
        ("merged", "accepted", False),
        ("transferred", "resolved", False),
    ],
)
def test_transition_table(frm: str, to: str, ok: bool) -> None:
    assert rules().can(frm, to) is ok


def test_every_status_has_a_transition_entry() -> None:
    assert set(rules().allowed) == set(statuses())


@pytest.mark.parametrize(
    ("frm", "to", "kwargs", "message"),
    [
        ("in_progress", "resolved", {}, "办理结果"),
        ("received", "transferred", {"note": "  "}, "转办理由"),
        ("accepted", "routed", {"department": "住建局"}, "责任单位和行政区域"),
        ("received", "merged", {}, "主件"),
        ("received", "received", {}, "已经是"),
        ("received", "nonsense", {}, "未知的状态"),
        ("received", "closed", {}, "不能从“已登记”改为“已关闭”"),
    ],
)
def test_check_refuses_with_a_reason(
    frm: str, to: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidTransition, match=message):
        check(frm, to, **kwargs)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    calls: Sent = []
    monkeypatch.setattr(notify, "status_changed", lambda i, e: calls.append((i, e)))
    yield calls


@pytest.fixture
def work(store: CaseStore) -> CaseWork:
    return CaseWork(store)


def test_change_status_is_audited(store: CaseStore, work: CaseWork, sent: Sent) -> None:
    issue, _ = store.file(draft())
    changed = work.change_status(issue.ticket, "accepted", actor="staff-7", note="已受理")
    assert changed.status == "accepted"
    last = changed.events[-1]
    assert (last.actor, last.from_status, last.to_status, last.note) == (
        "staff-7",
        "received",
        "accepted",
        "已受理",
    )
    with pytest.raises(InvalidTransition):
        work.change_status(issue.ticket, "accepted", actor="staff-7")
    with pytest.raises(InvalidTransition):
        work.change_status(issue.ticket, "flying", actor="staff-7")
    with pytest.raises(IssueNotFound):
        work.change_status("HB-20000101-0001", "accepted", actor="staff-7")


def test_full_chain_is_audited_and_notified(store: CaseStore, work: CaseWork, sent: Sent) -> None:
    issue, _ = store.file(draft(categories=["扬尘"], phenomenon="工地扬尘很大"))
    assert issue.department == "住建局" and "construction-dust" in (issue.route_rule or "")
    assert issue.accept_due is not None and issue.handle_due is not None
    work.accept(issue.ticket, actor="李四")
    work.route(issue.ticket, department="住建局", district="涪城区", actor="李四")
    work.change_status(issue.ticket, "in_progress", actor="住建局王五")
    done = work.resolve(issue.ticket, result="已责令工地覆盖裸土并洒水降尘。", actor="住建局王五")
    assert done.status == "resolved" and done.result_text == "已责令工地覆盖裸土并洒水降尘。"
    assert [e.to_status for e in done.events] == [
        "received",
        "accepted",
        "routed",
        "in_progress",
        "resolved",
    ]
    assert [e.actor for e in done.events][1:] == ["李四", "李四", "住建局王五", "住建局王五"]
    assert [e.to_status for _, e in sent] == ["accepted", "routed", "in_progress", "resolved"]
    # The bot's answer and the console's "what the citizen sees" are the same words.
    assert status_variables(done, Context())["status_note"] == citizen_status(done)[1]
    assert "覆盖裸土" in citizen_status(done)[1]
    assert feedback_question() in status_variables(done, Context())["status_note"]


def test_unsatisfied_reopens_and_satisfied_closes(
    store: CaseStore, work: CaseWork, sent: Sent
) -> None:
    issue, _ = store.file(draft())
    work.route(issue.ticket, department="生态环境局", district="涪城区", actor="a")
    work.resolve(issue.ticket, result="已查处", actor="a")
    reopened = work.feedback(issue.ticket, satisfied=False, actor="citizen", comment="还在排")
    assert reopened.status == "reopened" and reopened.satisfaction == "不满意"
    assert "还在排" in (reopened.events[-1].note or "")
    work.resolve(issue.ticket, result="已封堵暗管", actor="a")
    closed = work.feedback(issue.ticket, satisfied=True, actor="citizen")
    assert closed.status == "closed" and closed.satisfaction == "满意"
    assert sent[-1][1].to_status == "closed"
    with pytest.raises(InvalidTransition):
        work.feedback(issue.ticket, satisfied=True, actor="citizen")


def test_merge_keeps_every_reporter_informed(store: CaseStore, work: CaseWork, sent: Sent) -> None:
    main, _ = store.file(draft(reporter_sender_id="u-main"))
    dup, _ = store.file(draft(reporter_sender_id="u-dup", channel="hotline"))
    merged = work.merge(dup.ticket, main.ticket, actor="李四")
    assert merged.status == "merged" and merged.merged_into_id == main.id
    assert main.ticket in (merged.events[-1].note or "")
    work.accept(main.ticket, actor="李四")
    follower = store.get(dup.ticket)
    assert follower is not None and follower.status == "accepted"
    notified = [(i.ticket, e.to_status) for i, e in sent]
    assert (dup.ticket, "merged") in notified
    assert (main.ticket, "accepted") in notified and (dup.ticket, "accepted") in notified
    with pytest.raises(InvalidTransition, match="合并"):
        work.change_status(dup.ticket, "in_progress", actor="x")


def test_hotline_changes_make_callback_tasks(store: CaseStore, work: CaseWork) -> None:
    from sqlalchemy import select

    from bot.casework.models import CallbackTask

    issue, _ = store.file(draft(channel="hotline"))
    work.accept(issue.ticket, actor="a")
    with store.transaction() as s:
        tasks = list(s.execute(select(CallbackTask)).scalars())
    assert len(tasks) == 1 and issue.ticket in tasks[0].message and "已受理" in tasks[0].message
    work.complete_callback(tasks[0].id, actor="坐席1", outcome="已电话告知")
    with pytest.raises(InvalidTransition):
        work.complete_callback(tasks[0].id, actor="坐席1", outcome="again")


def test_route_refuses_unknown_department(store: CaseStore, work: CaseWork) -> None:
    issue, _ = store.file(draft())
    with pytest.raises(InvalidReport, match="未知的责任单位"):
        work.route(issue.ticket, department="不存在局", district="涪城区", actor="a")


def test_reroute_is_a_field_edit_not_a_status_change(
    store: CaseStore, work: CaseWork, sent: Sent
) -> None:
    issue, _ = store.file(draft())
    work.route(issue.ticket, department="生态环境局", district="涪城区", actor="a")
    n = len(sent)
    again = work.route(issue.ticket, department="水务局", district="游仙区", actor="a")
    assert again.status == "routed" and again.department == "水务局" and again.district == "游仙区"
    assert len(sent) == n  # the citizen is not told about internal re-routing


def test_edit_is_audited_and_searchable(store: CaseStore, work: CaseWork) -> None:
    from sqlalchemy import select

    from bot.casework.models import FieldEdit, Issue

    issue, _ = store.file(draft())
    work.edit(
        issue.ticket,
        {"polluter": "鑫达砖厂", "categories": "大气、水", "latitude": "31.5"},
        actor="李四",
    )
    with store.transaction() as s:
        edits = {
            e.field: (e.old_value, e.new_value) for e in s.execute(select(FieldEdit)).scalars()
        }
        row = s.execute(select(Issue)).scalar_one()
        assert "鑫达砖厂" in row.search_text.lower() and row.category_tags == "|大气|水|"
    assert edits["polluter"] == ("绵阳市某某化工有限公司", "鑫达砖厂")
    assert edits["categories"] == ("水", "大气、水")
    with pytest.raises(InvalidReport):
        work.edit(issue.ticket, {"categories": "火星"}, actor="李四")
    with pytest.raises(InvalidReport):
        work.edit(issue.ticket, {"status": "closed"}, actor="李四")


def test_citizen_message_plain_chinese(store: CaseStore, work: CaseWork, sent: Sent) -> None:
    issue, _ = store.file(draft())
    work.transfer(
        issue.ticket, reason="该问题属于市场监管部门职责，已转交市市场监管局办理。", actor="a"
    )
    view, event = sent[-1]
    text = callback_script(view, event)
    assert issue.ticket in text and "已转办" in text and "市场监管" in text


def test_notify_failure_does_not_undo_the_change(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_i: IssueView, _e: EventView) -> None:
        raise RuntimeError("wechat down")

    monkeypatch.setattr(notify, "status_changed", boom)
    issue, _ = store.file(draft())
    CaseWork(store).accept(issue.ticket, actor="a")
    assert store.get(issue.ticket).status == "accepted"  # type: ignore[union-attr]
