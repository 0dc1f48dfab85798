"""Who may see and do what in the console: one place for the role policy (举报保护 included).

Three roles: the intake office (污防办, 受理) handles everything and sees reporters' contacts;
department staff (责任单位) see only the issues routed to their department and may only report
progress on them; the leader (领导) reads everything, contacts masked, and changes nothing.
Pure functions over the member's role and department and the issue, so views, templates and
tests ask the same questions and get the same answers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

logger = logging.getLogger(__name__)

OFFICE = "office"
DEPARTMENT = "department"
LEADER = "leader"
#: The statuses department staff may set: progress and the result, nothing else.
DEPARTMENT_TARGETS = ("in_progress", "resolved")
#: Statuses never offered by the status form: routing and merging have their own actions.
OWN_ACTIONS = ("routed", "merged")


class Member(Protocol):
    """What the policy needs to know about a logged-in person."""

    @property
    def role(self) -> str: ...

    @property
    def department(self) -> str | None: ...


class Routed(Protocol):
    """What the policy needs to know about an issue: where it was routed."""

    @property
    def department(self) -> str | None: ...


def scope_department(member: Member) -> str | None:
    """Department staff see the issues routed to their department; others see all (None)."""
    return member.department if member.role == DEPARTMENT else None


def sees_issue(member: Member, issue: Routed) -> bool:
    """Whether the member may open this issue (a department's staff: only its own)."""
    scope = scope_department(member)
    return scope is None or issue.department == scope


def sees_contact(member: Member) -> bool:
    """Only the intake office sees reporters' names and phone numbers (举报保护)."""
    return member.role == OFFICE


def sees_edit(member: Member, field: str) -> bool:
    """Old and new values in the edit history: reporter fields only for those who see contacts."""
    return sees_contact(member) or not field.startswith("reporter")


def edit_view(member: Member, field: str) -> Literal["full", "masked", "hidden"]:
    """How the edit history shows a field's old and new values: in full to the office; reporter
    fields not at all to anyone else; any other field with the phone numbers in it masked (an
    old description often still carries the caller's number the office edited out)."""
    if sees_contact(member):
        return "full"
    return "masked" if sees_edit(member, field) else "hidden"


def sees_linked(member: Member, other: Routed) -> bool:
    """A duplicate suggestion's other issue: its ticket and summary only for those who may open
    it; a department is told just that a similar report exists and who handles it."""
    return sees_issue(member, other)


def may_write(member: Member) -> bool:
    """Whether the member may change issues at all (the leader's account is read-only)."""
    return member.role in (OFFICE, DEPARTMENT)


def may_handle(member: Member) -> bool:
    """Intake office work: accept, route, merge, edit fields, record feedback, decide duplicates,
    complete call-backs and file hotline calls."""
    return member.role == OFFICE


def may_set_status(member: Member, to_status: str) -> bool:
    """Department staff may only report progress (办理中) or the result (已办结)."""
    if not may_write(member):
        return False
    return member.role != DEPARTMENT or to_status in DEPARTMENT_TARGETS


def status_targets(member: Member, allowed: Iterable[str]) -> list[str]:
    """The statuses the status form offers this member, out of those the lifecycle allows."""
    return [t for t in allowed if t not in OWN_ACTIONS and may_set_status(member, t)]


def may_audit(member: Member) -> bool:
    """The security page (failed logins, guessed phones, alerts) is the intake office's."""
    return member.role == OFFICE


def may_export(member: Member) -> bool:
    """Every role may export the ledger; what a department exports is scoped like its list."""
    return member.role in (OFFICE, DEPARTMENT, LEADER)


@dataclass(frozen=True)
class Permissions:
    """The answers a page needs, computed once per request for the templates."""

    write: bool
    handle: bool
    contact: bool
    scope: str | None
    audit: bool = False


def permissions(member: Member) -> Permissions:
    return Permissions(
        write=may_write(member),
        handle=may_handle(member),
        contact=sees_contact(member),
        scope=scope_department(member),
        audit=may_audit(member),
    )
