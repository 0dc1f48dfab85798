"""How the console shows values: local times, status labels, and reporter data masked by role.

Whether a member sees contacts is the policy's answer (bot/casework/access.py); here is only how
a masked or unmasked value is written.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import texts
from bot.casework import access, deadlines, lifecycle
from bot.casework.accounts import StaffMember
from bot.casework.catalog import statuses
from bot.nlp.privacy import mask_name, mask_phone, mask_phones_in_text

logger = logging.getLogger(__name__)


class Reporter(Protocol):
    """An issue's reporter fields (an ORM issue, an IssueView or an IssueBrief)."""

    @property
    def anonymous(self) -> bool: ...

    @property
    def reporter_name(self) -> str | None: ...


class Deadlined(Protocol):
    """An issue's status and deadlines."""

    @property
    def status(self) -> str: ...

    @property
    def accept_due(self) -> datetime | None: ...

    @property
    def handle_due(self) -> datetime | None: ...


def mask_identifier(value: str | None) -> str:
    """A sender id (WeChat openid etc.) identifies a person: keep only enough to tell two apart."""
    if not value:
        return ""
    if len(value) <= 6:
        return "*" * len(value)
    return f"{value[:3]}***{value[-2:]}"


def local_time(moment: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else ""


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_label(code: str | None) -> str:
    if code is None:
        return "—"
    status = statuses().get(code)
    return status.label if status else code


def reporter_label(issue: Reporter, member: StaffMember) -> str:
    if issue.anonymous:
        return texts.text("staff", "console.people.anonymous")
    name = issue.reporter_name if access.sees_contact(member) else mask_name(issue.reporter_name)
    return name or texts.text("staff", "console.people.no_name")


def phone_label(phone: str | None, member: StaffMember) -> str:
    return (phone or "") if access.sees_contact(member) else mask_phone(phone)


def citizen_text(text: str | None, member: StaffMember) -> str:
    """Free text from a citizen: phone numbers inside it are masked unless the office reads it."""
    return (text or "") if access.sees_contact(member) else mask_phones_in_text(text)


def deadline_of(issue: Deadlined, now: datetime) -> tuple[datetime | None, deadlines.Flag]:
    """The deadline that runs now (acceptance while received, else handling) and its flag."""
    due_at = issue.accept_due if issue.status == "received" else issue.handle_due
    flag = deadlines.flag(
        due_at, now, finished=issue.status in lifecycle.FINISHED, pol=deadlines.policy()
    )
    return due_at, flag
