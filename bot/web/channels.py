"""Internal HTTP API for the channels (the Rasa server's WeChat connector): evidence upload.

The connectors run in the Rasa environment and never import the case store, so they hand
evidence over here. Every route requires the shared token `GW_INTERNAL_TOKEN` in the
`X-GW-Token` header (compared in constant time); while it is unset the API refuses everything.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Request, UploadFile

from bot.casework.evidence import KINDS, EvidenceStore, EvidenceView
from bot.config import TOKEN_HEADER
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/internal/channels", tags=["channels"], include_in_schema=False)


def require_token(
    request: Request, x_gw_token: Annotated[str | None, Header(alias=TOKEN_HEADER)] = None
) -> None:
    """403 unless the caller knows the shared secret; 503 while none is configured."""
    expected = app_settings(request).internal_token
    if expected is None:
        raise HTTPException(503, "internal API disabled: GW_INTERNAL_TOKEN is not set")
    if not x_gw_token or not hmac.compare_digest(
        x_gw_token.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(403, "bad internal token")


def evidence_store(request: Request) -> EvidenceStore:
    cached = getattr(request.app.state, "evidence_store", None)
    if isinstance(cached, EvidenceStore):
        return cached
    store = EvidenceStore(case_store(request), app_settings(request).evidence_dir)
    request.app.state.evidence_store = store
    return store


def _view(v: EvidenceView, created: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": v.id,
        "issue_id": v.issue_id,
        "channel": v.channel,
        "kind": v.kind,
        "msg_id": v.msg_id,
        "sha256": v.sha256,
        "size": v.size,
        "content_type": v.content_type,
        "received_at": v.received_at.isoformat(),
        "note": v.note,
    }
    if created is not None:
        out["created"] = created
    return out


@router.post("/evidence", dependencies=[Depends(require_token)])
async def upload_evidence(
    request: Request,
    file: Annotated[UploadFile, File()],
    channel: Annotated[str, Form(max_length=16)],
    sender_id: Annotated[str, Form(min_length=1, max_length=128)],
    kind: Annotated[str, Form()],
    received_at: Annotated[datetime, Form()],
    msg_id: Annotated[str | None, Form(max_length=64)] = None,
    media_id: Annotated[str | None, Form(max_length=256)] = None,
    note: Annotated[str | None, Form(max_length=4000)] = None,
) -> dict[str, Any]:
    """Stores one file for a conversation; the same (channel, msg_id) twice is stored once."""
    if kind not in KINDS:
        raise HTTPException(400, f"kind must be one of {sorted(KINDS)}")
    if received_at.tzinfo is None:
        raise HTTPException(400, "received_at needs a timezone")
    limit = app_settings(request).max_evidence_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"evidence larger than {limit} bytes")
    if not data:
        raise HTTPException(400, "empty file")
    view, created = evidence_store(request).add(
        channel=channel,
        sender_id=sender_id,
        kind=kind,
        data=data,
        content_type=file.content_type or "application/octet-stream",
        received_at=received_at,
        msg_id=msg_id,
        media_id=media_id,
        note=note,
    )
    return _view(view, created)


@router.get("/evidence/{ticket}", dependencies=[Depends(require_token)])
def evidence_of_issue(request: Request, ticket: str) -> list[dict[str, Any]]:
    """The evidence filed with an issue, oldest first (for the console and tests)."""
    return [_view(v) for v in evidence_store(request).for_ticket(ticket)]
