"""What staff do to an issue from its page: accept, route, change status, merge, edit, feedback,
decide a duplicate. Each action checks the member may see the issue, runs one CaseWork command,
and goes back to the issue's page with a flash message.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot import texts
from bot.casework import access
from bot.casework.accounts import StaffMember
from bot.casework.commands import EDITABLE, CaseWork
from bot.casework.notify import status_flash
from bot.casework.results import Results
from bot.casework.tickets import normalise_ticket
from bot.exceptions import NotAuthorized
from bot.web.console.formatting import status_label
from bot.web.console.issue import load_issue
from bot.web.console.pages import FormStr, router
from bot.web.console.security import Office, Writer
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)


def _work(request: Request) -> CaseWork:
    return CaseWork(case_store(request), app_settings(request))


def _check(request: Request, ticket: str, member: StaffMember) -> None:
    load_issue(case_store(request), ticket, member)


def _back(ticket: str, message: str = "") -> RedirectResponse:
    suffix = f"?{urlencode({'msg': message})}" if message else ""
    return RedirectResponse(f"/console/issues/{ticket}{suffix}", status_code=303)


@router.post("/issues/{ticket}/accept")
def accept(ticket: str, request: Request, member: Office, note: FormStr = "") -> Response:
    _check(request, ticket, member)
    _work(request).accept(ticket, actor=member.actor, note=note.strip() or None)
    return _back(ticket, texts.text("staff", "console.flash.accepted"))


@router.post("/issues/{ticket}/route")
def route(
    ticket: str,
    request: Request,
    member: Office,
    department: FormStr = "",
    district: FormStr = "",
    note: FormStr = "",
) -> Response:
    _check(request, ticket, member)
    _work(request).route(
        ticket,
        department=department,
        district=district or None,
        actor=member.actor,
        note=note.strip() or None,
    )
    return _back(ticket, texts.text("staff", "console.flash.routed", department=department))


@router.post("/issues/{ticket}/status")
def change_status(
    ticket: str,
    request: Request,
    member: Writer,
    to_status: FormStr = "",
    note: FormStr = "",
    verification: FormStr = "",
    verdict: FormStr = "",
    rectification: FormStr = "",
    accountability: FormStr = "",
) -> Response:
    """A status change; to 办结 with the results for publication (required for 督察交办: a
    missing one is refused with the reason and nothing changes)."""
    _check(request, ticket, member)
    if not access.may_set_status(member, to_status):
        raise NotAuthorized(texts.text("staff", "console.errors.department_status"))
    outcome = Results(
        verification=verification,
        verdict=verdict,
        rectification=rectification,
        accountability=accountability,
    )
    changed = _work(request).change_status(
        ticket, to_status, actor=member.actor, note=note.strip() or None, outcome=outcome
    )
    # What the console says about telling the reporter is what the outbox holds (notify.py).
    return _back(ticket, status_flash(changed, status_label(to_status)))


@router.post("/issues/{ticket}/merge")
def merge(
    ticket: str, request: Request, member: Office, into: FormStr = "", note: FormStr = ""
) -> Response:
    _check(request, ticket, member)
    target = normalise_ticket(into) or into.strip()
    _work(request).merge(ticket, target, actor=member.actor, note=note.strip() or None)
    return _back(ticket, texts.text("staff", "console.flash.merged", ticket=target))


@router.post("/issues/{ticket}/edit")
async def edit(ticket: str, request: Request, member: Office) -> Response:
    """Saves the field form; only changed fields are written, each one audited."""
    form = await request.form()
    changes = {k: str(v) for k, v in form.items() if k in EDITABLE}
    return await run_in_threadpool(_save_edit, ticket, request, member, changes)


def _save_edit(
    ticket: str, request: Request, member: StaffMember, changes: dict[str, str]
) -> Response:
    _check(request, ticket, member)
    _work(request).edit(ticket, changes, actor=member.actor)
    return _back(ticket, texts.text("staff", "console.flash.saved"))


@router.post("/issues/{ticket}/feedback")
def feedback(
    ticket: str, request: Request, member: Office, satisfied: FormStr = "", comment: FormStr = ""
) -> Response:
    """满意度 recorded by staff (a hotline call-back); citizens answer in the chat themselves."""
    _check(request, ticket, member)
    _work(request).feedback(
        ticket, satisfied=satisfied == "1", actor=member.actor, comment=comment or None
    )
    return _back(ticket, texts.text("staff", "console.flash.feedback"))


@router.post("/duplicates/{link_id}")
def decide_duplicate(
    link_id: int, request: Request, member: Office, decision: FormStr = "", back: FormStr = ""
) -> Response:
    confirm = decision == "confirm"
    issue = _work(request).decide_duplicate(link_id, confirm=confirm, actor=member.actor)
    ticket = normalise_ticket(back) or issue.ticket
    if confirm:
        return _back(ticket, texts.text("staff", "console.flash.duplicate_confirmed"))
    return _back(ticket, texts.text("staff", "console.flash.duplicate_rejected"))
