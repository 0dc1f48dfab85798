"""The hotline agent's page (热线坐席): paste a call transcript, see the draft with the sentences
each field came from, answer what is missing, confirm.

The page talks to the app; the app talks to the Rasa server's hotline channel over HTTP
(bot/web/hotline_client.py) with the internal token, so the browser never holds that token.
Intake office accounts only (受理 is the office's job); every POST carries the CSRF token.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from bot import texts
from bot.calls import MAX_TRANSCRIPT_CHARS
from bot.casework import access
from bot.config import Settings
from bot.web.console.entities import draft_html
from bot.web.console.pages import render_page
from bot.web.console.security import Member, Office
from bot.web.deps import app_settings
from bot.web.hotline_client import HotlineClient, HotlineReply, HotlineUnavailable

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/console/hotline", tags=["console"], include_in_schema=False)

SettingsDep = Annotated[Settings, Depends(app_settings)]
FormStr = Annotated[str, Form()]


def _unreachable() -> dict[str, Any]:
    """The answer while the Rasa server does not answer, in the channel's own error shape."""
    return {
        "error": {
            "code": "unavailable",
            "message": texts.text("staff", "console.hotline.unreachable"),
            "message_en": "the hotline channel (Rasa server) is unreachable",
        }
    }


def _client(settings: Settings) -> HotlineClient:
    token = settings.internal_token.get_secret_value() if settings.internal_token else ""
    return HotlineClient(settings.rasa_url, token)


def _json(reply: HotlineReply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status_code)


@router.get("", response_class=HTMLResponse)
def hotline_page(request: Request, member: Member, settings: SettingsDep) -> HTMLResponse:
    now = datetime.now(ZoneInfo(settings.timezone))
    return render_page(
        request,
        "hotline.html",
        member,
        settings,
        nav="hotline",
        call_id=f"{now:%Y%m%d%H%M}-{uuid.uuid4().hex[:6]}",
        started_at=now.strftime("%Y-%m-%dT%H:%M"),
        max_chars=MAX_TRANSCRIPT_CHARS,
        can_file=access.may_handle(member),
    )


async def _send(settings: Settings, payload: dict[str, Any], transcript: str = "") -> JSONResponse:
    client = _client(settings)
    try:
        reply = await run_in_threadpool(client.post, payload)
    except HotlineUnavailable:
        logger.error("console hotline: channel unreachable at %s", settings.rasa_url)
        return JSONResponse(_unreachable(), status_code=503)
    finally:
        client.close()
    draft = reply.body.get("draft") if reply.ok else None
    if transcript and isinstance(draft, dict):
        # The channel's offsets count a line break as one character, as the page does.
        text = transcript.replace("\r\n", "\n").replace("\r", "\n")
        reply.body["highlight_html"] = str(await run_in_threadpool(draft_html, text, draft))
    return _json(reply)


@router.post("/draft")
async def draft(
    member: Office,
    settings: SettingsDep,
    call_id: FormStr,
    transcript: FormStr,
    caller_number: FormStr = "",
    started_at: FormStr = "",
    force_report: FormStr = "",
) -> JSONResponse:
    """A new call (or a re-pasted transcript of a call not yet filed)."""
    return await _send(
        settings,
        {
            "call_id": call_id.strip(),
            "transcript": transcript,
            "caller_number": caller_number.strip() or None,
            "agent_id": member.username,
            "started_at": started_at.strip() or None,
            "force_report": force_report == "1",
        },
        transcript,
    )


@router.post("/reply")
async def reply(
    member: Office,
    settings: SettingsDep,
    call_id: FormStr,
    message: FormStr,
    transcript: FormStr = "",
) -> JSONResponse:
    """The agent's answer to the bot's question, a correction (地点是…), or 确认 / 取消.
    `transcript` (the page sends it back) is only used to highlight the draft in it."""
    return await _send(
        settings,
        {"call_id": call_id.strip(), "message": message, "agent_id": member.username},
        transcript,
    )
