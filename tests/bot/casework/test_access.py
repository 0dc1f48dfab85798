"""bot/casework/access.py: the console's role policy, as the views ask it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.casework import access


@dataclass(frozen=True)
class Someone:
    role: str
    department: str | None = None


@dataclass(frozen=True)
class Routed:
    department: str | None


OFFICE = Someone("office")
WATER = Someone("department", "生态环境局")
LEADER = Someone("leader")


def test_who_sees_which_issue() -> None:
    mine, other, unrouted = Routed("生态环境局"), Routed("住建局"), Routed(None)
    assert all(access.sees_issue(m, i) for m in (OFFICE, LEADER) for i in (mine, other, unrouted))
    assert access.sees_issue(WATER, mine)
    assert not access.sees_issue(WATER, other) and not access.sees_issue(WATER, unrouted)
    assert [access.scope_department(m) for m in (OFFICE, WATER, LEADER)] == [
        None,
        "生态环境局",
        None,
    ]


def test_only_the_office_sees_contacts() -> None:
    assert access.sees_contact(OFFICE)
    assert not access.sees_contact(WATER) and not access.sees_contact(LEADER)
    assert access.sees_edit(WATER, "address") and not access.sees_edit(WATER, "reporter_phone")
    assert access.sees_edit(OFFICE, "reporter_phone")


@pytest.mark.parametrize(
    ("member", "write", "handle"),
    [(OFFICE, True, True), (WATER, True, False), (LEADER, False, False)],
)
def test_who_may_change_what(member: Someone, write: bool, handle: bool) -> None:
    assert access.may_write(member) is write
    assert access.may_handle(member) is handle
    assert access.may_export(member)
    can = access.permissions(member)
    assert (can.write, can.handle, can.contact) == (write, handle, member is OFFICE)


def test_status_targets() -> None:
    allowed = ("routed", "in_progress", "resolved", "transferred", "merged")
    assert access.status_targets(OFFICE, allowed) == ["in_progress", "resolved", "transferred"]
    assert access.status_targets(WATER, allowed) == ["in_progress", "resolved"]
    assert access.status_targets(LEADER, allowed) == []
    assert access.may_set_status(WATER, "resolved") and not access.may_set_status(WATER, "closed")
    assert not access.may_set_status(LEADER, "in_progress")


@pytest.mark.parametrize(
    ("member", "field", "shown"),
    [
        (OFFICE, "phenomenon", "full"),
        (OFFICE, "reporter_phone", "full"),
        (WATER, "phenomenon", "masked"),
        (WATER, "address", "masked"),
        (WATER, "reporter_phone", "hidden"),
        (WATER, "reporter_name", "hidden"),
        (LEADER, "polluter", "masked"),
        (LEADER, "reporter_phone", "hidden"),
    ],
)
def test_edit_history_by_role(member: Someone, field: str, shown: str) -> None:
    assert access.edit_view(member, field) == shown


def test_a_department_learns_only_that_another_units_duplicate_exists() -> None:
    mine, other = Routed("生态环境局"), Routed("住建局")
    assert access.sees_linked(WATER, mine) and not access.sees_linked(WATER, other)
    assert access.sees_linked(OFFICE, other) and access.sees_linked(LEADER, other)


def test_only_the_office_reads_the_security_events() -> None:
    assert access.may_audit(OFFICE)
    assert not access.may_audit(WATER) and not access.may_audit(LEADER)
    assert access.permissions(OFFICE).audit and not access.permissions(LEADER).audit
