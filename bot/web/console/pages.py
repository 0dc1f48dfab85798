"""The console's router and how its pages are rendered: templates, the error page, shared deps.

Server-rendered with Jinja2 (autoescape on: citizen text never runs as markup). Every page gets the
member and what the member may do (bot/casework/access.py), so templates show a button only where
the action behind it would be allowed; they display strings the views prepared.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.casework import access
from bot.casework.accounts import StaffMember
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # citizen text is untrusted, in every template
        undefined=jinja2.StrictUndefined,
    )
)

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

StoreDep = Annotated[CaseStore, Depends(case_store)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
FormStr = Annotated[str, Form()]


def _member_context(member: StaffMember | None) -> dict[str, Any]:
    return {"member": member, "can": access.permissions(member) if member else None}


def render_page(
    request: Request, name: str, member: StaffMember | None, settings: Settings, **context: Any
) -> HTMLResponse:
    """A console page: the template with the member, their permissions and the time zone."""
    context.setdefault("nav", "")
    return templates.TemplateResponse(
        request, name, {**_member_context(member), "timezone": settings.timezone, **context}
    )


def render_error(request: Request, status_code: int, message: str) -> Response:
    """The console's error page (the app's handlers use it for /console paths).

    A page opened without a session goes to the login page instead, and comes back after.
    """
    if status_code == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?{urlencode({'next': target})}", status_code=303)
    member = getattr(request.state, "member", None)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status_code": status_code, "message": message, **_member_context(member), "nav": ""},
        status_code=status_code,
    )
