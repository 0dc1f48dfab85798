"""Drafting for the Rasa server's channels: `POST /internal/drafts`.

The hotline channel runs in the Rasa environment, which runs none of our extraction (issue 15:
the NLP package is app-only, and the Rasa server is the throughput bottleneck). It posts the
checked transcript here and gets the draft (bot/calls.py `DraftWire`): the fields with the
sentences they came from, what is missing, warnings and the scope decision. Same shared token
as the other internal routes (bot/web/channels.py `require_token`).
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bot.calls import MAX_TRANSCRIPT_CHARS, TranscriptError, check
from bot.nlp.privacy import mask_phone
from bot.nlp.transcripts import Draft, build_draft, parse
from bot.nlp.transcripts.vocabulary import warm_up_transcript
from bot.web.channels import require_token
from bot.web.deps import app_settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/internal", tags=["channels"], include_in_schema=False)


class DraftRequest(BaseModel):
    transcript: Annotated[str, Field(max_length=MAX_TRANSCRIPT_CHARS)]
    caller_number: Annotated[str | None, Field(max_length=32)] = None


def draft_of(transcript: str, caller_number: str | None, province: str, city: str) -> Draft:
    """The draft of one call (the hotline channel's and the console's)."""
    return build_draft(
        parse(check(transcript)), caller_number=caller_number, province=province, city=city
    )


@router.post("/drafts", dependencies=[Depends(require_token)])
async def draft_call(request: Request, body: DraftRequest) -> dict[str, Any]:
    """The draft of a call transcript; 422 with the agent's reason for one that cannot be read."""
    settings = app_settings(request)
    try:
        draft = await run_in_threadpool(
            draft_of,
            body.transcript,
            body.caller_number,
            settings.deployment_province,
            settings.deployment_city,
        )
    except TranscriptError as exc:
        raise HTTPException(422, exc.as_dict()) from exc
    logger.info(
        "drafted a call: %d chars, shape=%s, fields=%s, caller=%s",
        len(body.transcript),
        draft.transcript.shape,
        ",".join(sorted(draft.fields)),
        mask_phone(body.caller_number),
    )
    return draft.wire().as_json()


def warm_up(province: str | None = None, city: str | None = None) -> None:
    """Loads the gazetteer and jieba (seconds) in the background at start-up, not on the first
    call an agent pastes."""

    def run() -> None:
        from bot.config import get_settings

        s = get_settings()
        try:
            draft_of(
                warm_up_transcript(),
                None,
                province or s.deployment_province,
                city or s.deployment_city,
            )
        except Exception:  # a failed warm-up only costs the first call time
            logger.exception("drafting warm-up failed")

    threading.Thread(target=run, name="drafting-warm-up", daemon=True).start()
