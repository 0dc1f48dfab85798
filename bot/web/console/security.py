"""Console access: the logged-in member of every request, CSRF checks, role checks.

GET pages without a session are redirected to the login page (bot.web.console.pages.render_error
turns the 401 into that redirect); POSTs without one get 401, with a bad CSRF token 403. Which role
may do what is bot/casework/access.py's answer; here it becomes FastAPI dependencies.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request

from bot import texts
from bot.casework import access
from bot.casework.accounts import Accounts, StaffMember
from bot.exceptions import GreenWhistleError, NotAuthorized
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

SESSION_COOKIE = "gw_session"
LOGIN_CSRF_COOKIE = "gw_login_csrf"
#: The browser's known-device token (bot/casework/accounts.py): sent only to the login form.
DEVICE_COOKIE = "gw_device"
DEVICE_COOKIE_PATH = "/console/login"


class LoginRequired(GreenWhistleError):
    """No valid console session: GET pages redirect to the login page, other requests get 401."""

    http_status = 401


def accounts(request: Request) -> Accounts:
    settings = app_settings(request)
    return Accounts(case_store(request), session_hours=settings.console_session_hours)


def current_member(request: Request) -> StaffMember:
    member = accounts(request).resolve(request.cookies.get(SESSION_COOKIE))
    if member is None:
        raise LoginRequired(texts.text("staff", "console.errors.login_required"))
    request.state.member = member
    return member


Member = Annotated[StaffMember, Depends(current_member)]


def check_csrf(member: Member, csrf_token: Annotated[str, Form()] = "") -> StaffMember:
    """Every state-changing form carries the session's CSRF token."""
    if not csrf_token or not secrets.compare_digest(csrf_token, member.csrf_token):
        logger.warning("console: CSRF token missing or wrong (user_id=%s)", member.id)
        raise NotAuthorized(texts.text("staff", "console.errors.csrf"))
    return member


def writer(member: Annotated[StaffMember, Depends(check_csrf)]) -> StaffMember:
    """A member who may change issues (not the read-only leader)."""
    if not access.may_write(member):
        raise NotAuthorized(texts.text("staff", "console.errors.read_only"))
    return member


def office(member: Annotated[StaffMember, Depends(writer)]) -> StaffMember:
    """The intake office only: accept, route, merge, transfer, edit, call-backs."""
    if not access.may_handle(member):
        raise NotAuthorized(texts.text("staff", "console.errors.office_only"))
    return member


Writer = Annotated[StaffMember, Depends(writer)]
Office = Annotated[StaffMember, Depends(office)]
Posting = Annotated[StaffMember, Depends(check_csrf)]
