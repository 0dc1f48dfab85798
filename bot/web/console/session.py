"""Logging in and out of the console: the login form with its own CSRF cookie, the session cookie.

The login form cannot use a session's CSRF token (there is no session yet), so it sets a
short-lived cookie and expects the same value back in the form (double submit).
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import texts
from bot.exceptions import NotAuthorized
from bot.web.console.pages import FormStr, SettingsDep, render_page, router
from bot.web.console.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Posting, accounts

logger = logging.getLogger(__name__)


def safe_next(target: str | None) -> str:
    """Only paths inside the console: a login link must not send staff to another site."""
    if (
        target
        and target.startswith("/console")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return "/console"


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, settings: SettingsDep, next: str = "/console", error: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render_page(
        request, "login.html", None, settings, next=safe_next(next), error=error, csrf_token=token
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.console_secure_cookie,
        path="/console",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    settings: SettingsDep,
    username: FormStr = "",
    password: FormStr = "",
    csrf_token: FormStr = "",
    next: FormStr = "/console",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf_token or not secrets.compare_digest(cookie, csrf_token):
        raise NotAuthorized(texts.text("staff", "console.errors.login_expired"))
    try:
        token = accounts(request).login(username, password)
    except NotAuthorized:
        error = texts.text("staff", "console.errors.bad_login")
        query = urlencode({"next": safe_next(next), "error": error})
        return RedirectResponse(f"/console/login?{query}", status_code=303)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.console_secure_cookie,
        max_age=int(settings.console_session_hours * 3600),
        path="/console",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
def logout(request: Request, member: Posting) -> Response:
    accounts(request).logout(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response
