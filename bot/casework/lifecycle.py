"""The issue lifecycle (办理流程): which status changes are allowed and what each must carry.

received → accepted (受理) → routed (分办) → in_progress → resolved (办结) → closed after feedback;
transferred (转办, with a reason), merged (into another issue), reopened (citizen unsatisfied).
The allowed changes are data (bot/data/statuses.yml, `transitions` and `needs`) so the office can
read and review them; this module checks a change and applies it to an ORM issue, recording the
audit event. It never commits and never notifies: bot/casework/commands.py does both around it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from bot import texts
from bot.casework.catalog import statuses, transitions
from bot.casework.models import Issue, StatusEvent
from bot.casework.schemas import EventView, IssueView
from bot.exceptions import InvalidTransition

logger = logging.getLogger(__name__)

#: Statuses after which the handling deadline no longer runs.
FINISHED = frozenset({"resolved", "closed", "transferred", "merged"})


@dataclass(frozen=True)
class Rules:
    """Allowed targets per status and what a change to a status needs (note/department/target)."""

    allowed: dict[str, tuple[str, ...]]
    needs: dict[str, tuple[str, ...]]

    def targets(self, status: str) -> tuple[str, ...]:
        return self.allowed.get(status, ())

    def can(self, from_status: str, to_status: str) -> bool:
        return to_status in self.targets(from_status)


def feedback_question() -> str:
    """Asked after 办结, in the bot's status answer and in the resolved message."""
    return texts.text("citizen", "notify.feedback_question")


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The allowed changes of statuses.yml (read by the catalogue), checked against its statuses."""
    known = set(statuses())
    table = transitions()
    allowed, needs = table.allowed, table.needs
    bad = {t for ts in allowed.values() for t in ts} - known | (set(allowed) - known)
    if bad:
        raise ValueError(f"statuses.yml transitions name unknown statuses: {sorted(bad)}")
    return Rules(allowed=allowed, needs=needs)


def check(
    from_status: str,
    to_status: str,
    *,
    note: str | None = None,
    department: str | None = None,
    district: str | None = None,
    target: str | None = None,
) -> None:
    """Raises InvalidTransition (message in Chinese, for staff) unless the change is allowed."""
    all_statuses = statuses()
    if to_status not in all_statuses:
        raise InvalidTransition(texts.text("staff", "casework.lifecycle.unknown", status=to_status))
    to_label = all_statuses[to_status].label
    if from_status == to_status:
        raise InvalidTransition(texts.text("staff", "casework.lifecycle.already", status=to_label))
    r = rules()
    if not r.can(from_status, to_status):
        frm = all_statuses[from_status].label if from_status in all_statuses else from_status
        raise InvalidTransition(
            texts.text("staff", "casework.lifecycle.not_allowed", frm=frm, to=to_label)
        )
    needs = r.needs.get(to_status, ())
    if "note" in needs and not (note or "").strip():
        names = texts.table("staff", "casework.lifecycle.note_names")
        what = names.get(to_status, names["other"])
        raise InvalidTransition(texts.text("staff", "casework.lifecycle.needs_note", what=what))
    if "department" in needs and not (department and district):
        raise InvalidTransition(texts.text("staff", "casework.lifecycle.needs_department"))
    if "target" in needs and not target:
        raise InvalidTransition(texts.text("staff", "casework.lifecycle.needs_target"))


def apply(
    issue: Issue,
    to_status: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> StatusEvent:
    """Moves an ORM issue to `to_status` (already checked) and appends the audit event.

    Also keeps the milestone timestamps the deadlines and reports read (受理, 办结, 关闭).
    """
    event = StatusEvent(
        at=now, actor=actor, from_status=issue.status, to_status=to_status, note=note or None
    )
    issue.events.append(event)
    issue.status = to_status
    issue.updated_at = now
    if to_status in ("accepted", "routed") and issue.accepted_at is None:
        issue.accepted_at = now
    if to_status == "resolved":
        issue.resolved_at = now
        if note:
            issue.result_text = note
    if to_status in ("closed", "transferred"):
        issue.closed_at = now
    if to_status == "reopened":
        issue.resolved_at = None
        issue.closed_at = None
    return event


def citizen_event(event: EventView) -> tuple[str, str]:
    """(label, note) of one status change as the citizen is told it; 办结 asks for satisfaction.

    Used for pushes, call-back scripts and the bot's status answer alike, so they never differ.
    """
    status = statuses().get(event.to_status)
    label = status.label if status else event.to_status
    note = (
        event.note if event.note and event.actor != "system" else (status.citizen if status else "")
    )
    if event.to_status == "resolved":
        note = f"{note}{feedback_question()}"
    return label, note


def citizen_status(issue: IssueView) -> tuple[str, str]:
    """(label, note) as the citizen sees it: the bot's answer and the console show the same.

    A note a person wrote on the change that led to the current status (the result, a transfer
    reason) beats the generic line for the status; system notes (登记) are not for the citizen.
    """
    status = statuses().get(issue.status)
    label = status.label if status else issue.status
    note = status.citizen if status else ""
    latest = issue.events[-1] if issue.events else None
    if latest and latest.to_status == issue.status and latest.actor != "system" and latest.note:
        note = latest.note
    if issue.status == "resolved" and not issue.satisfaction:
        note = f"{note}{feedback_question()}"
    return label, note


def is_open(status: str) -> bool:
    s = statuses().get(status)
    return bool(s and s.open)
