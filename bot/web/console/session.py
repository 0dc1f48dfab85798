"""Logging in and out of the console: the login form with its own CSRF cookie, the session cookie.

The login form cannot use a session's CSRF token (there is no session yet), so it sets a
short-lived cookie and expects the same value back in the form (double submit).

A failed or throttled login comes back to the form with a fixed error code (`?error=bad`,
`?error=wait&wait=30`) that the page maps to a catalogue text: the page never shows text from
the URL, or a link could make our own login page tell staff to call a phisher.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import texts
from bot.casework.accounts import DEVICE_DAYS, LoginThrottled
from bot.exceptions import NotAuthorized
from bot.web.console.pages import FormStr, SettingsDep, render_page, router
from bot.web.console.security import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_PATH,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Posting,
    accounts,
)
from bot.web.deps import request_address

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


#: The longest wait a login page states (a day); the URL's number is clamped to it.
MAX_WAIT_S = 86_400


def login_error(code: str, wait: str) -> str:
    """The text for an error code of the login page; nothing for a code we did not send."""
    if code == "bad":
        return texts.text("staff", "security.login.bad")
    if code == "wait":
        seconds = min(
            max(int(wait) if wait.isascii() and wait.isdigit() and len(wait) < 9 else 0, 1),
            MAX_WAIT_S,
        )
        if seconds < 120:
            return texts.text("staff", "security.login.wait_seconds", n=seconds)
        return texts.text("staff", "security.login.wait_minutes", n=-(-seconds // 60))
    return ""


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    settings: SettingsDep,
    next: str = "/console",
    error: str = "",
    wait: str = "",
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render_page(
        request,
        "login.html",
        None,
        settings,
        next=safe_next(next),
        error=login_error(error, wait),
        csrf_token=token,
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
        done = accounts(request).login(
            username,
            password,
            client=request_address(request),
            device=request.cookies.get(DEVICE_COOKIE),
        )
    except LoginThrottled as exc:
        query = urlencode({"next": safe_next(next), "error": "wait", "wait": exc.wait_s})
        return RedirectResponse(f"/console/login?{query}", status_code=303)
    except NotAuthorized:
        query = urlencode({"next": safe_next(next), "error": "bad"})
        return RedirectResponse(f"/console/login?{query}", status_code=303)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        DEVICE_COOKIE,
        done.device,
        httponly=True,
        samesite="strict",
        secure=settings.console_secure_cookie,
        max_age=DEVICE_DAYS * 86_400,
        path=DEVICE_COOKIE_PATH,
    )
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
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
