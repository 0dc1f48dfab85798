"""A citizen's status question: who may see an issue, and what the answer says about it."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from bot import texts
from bot.casework.lifecycle import citizen_status
from bot.casework.schemas import IssueView
from bot.intake.context import Context
from bot.nlp.privacy import normalise_phone

logger = logging.getLogger(__name__)


def may_view(issue: IssueView, *, sender_id: str, phone: str | None) -> bool:
    """Details go only to the conversation that filed it, or to whoever knows ticket + phone."""
    if issue.reporter_sender_id and issue.reporter_sender_id == sender_id:
        return True
    return bool(phone and issue.reporter_phone and normalise_phone(phone) == issue.reporter_phone)


def status_variables(issue: IssueView, ctx: Context) -> dict[str, str]:
    """Variables of the status reply: what a citizen needs to know, in plain Chinese."""
    # The same words as the console's "what the citizen sees" (bot/casework/lifecycle.py): a staff
    # note on the latest change beats the generic line; after 办结 the feedback question is asked.
    label, note = citizen_status(issue)
    created = issue.created_at.astimezone(ZoneInfo(ctx.timezone))
    where = "".join(p for p in (issue.district, issue.town) if p) or (issue.address or "")[:20]
    categories = "、".join(issue.categories)
    return {
        "ticket": issue.ticket,
        "created": texts.text(
            "citizen",
            "intake.status_created",
            month=created.month,
            day=created.day,
            time=f"{created:%H:%M}",
        ),
        "summary": texts.text(
            "citizen", "intake.status_summary_at", where=where, categories=categories
        )
        if where
        else texts.text("citizen", "intake.status_summary", categories=categories),
        "status_label": label,
        "status_note": note,
    }
