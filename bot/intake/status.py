"""A citizen's status question: who may see an issue, and what the answer says about it.

Details go to the conversation that filed the issue, or to whoever gives its ticket and the
phone the reporter left. The second way must not become an oracle for who reported a company:
ticket numbers are predictable, so guessing the phone is slowed down (bot/casework/throttle.py)
per ticket and conversation (growing waits), capped per conversation (a day's failures), and a
ticket that draws many failures alerts the office. Nothing locks a ticket: the reporter's own
conversation needs no phone and is never held up, and a stranger's failures on one conversation
do not hold up another. An unknown ticket is answered exactly like a wrong phone, and counted
the same way, so the answers do not tell which tickets exist either.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from bot import texts
from bot.casework.lifecycle import citizen_status
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
from bot.casework.throttle import Clock, Gate, Throttle
from bot.intake.context import Context
from bot.nlp.privacy import normalise_phone
from bot.nlp.tickets import normalise_ticket

logger = logging.getLogger(__name__)

Outcome = Literal["shown", "need_phone", "no_match", "wait", "capped"]


def may_view(issue: IssueView, *, sender_id: str, phone: str | None) -> bool:
    """Details go only to the conversation that filed it, or to whoever knows ticket + phone."""
    if issue.reporter_sender_id and issue.reporter_sender_id == sender_id:
        return True
    return bool(phone and issue.reporter_phone and normalise_phone(phone) == issue.reporter_phone)


def owns(issue: IssueView | None, sender_id: str) -> bool:
    """The conversation that filed the issue: it sees the details without a phone."""
    return bool(issue and issue.reporter_sender_id and issue.reporter_sender_id == sender_id)


def masked_sender(sender_id: str) -> str:
    """A conversation id for the audit: enough to tell two apart, not enough to write to one."""
    if len(sender_id) <= 6:
        return "*" * len(sender_id)
    return f"{sender_id[:3]}***{sender_id[-2:]}"


@dataclass(frozen=True)
class Lookup:
    """What the look-up found: the issue to show, or why not (and how many minutes to wait)."""

    outcome: Outcome
    issue: IssueView | None = None
    minutes: int = 0


#: Words of a status question (查询, 进度, 怎么样了) or a ticket: without them, a message the
#: classifier took for a status question during a report is the answer to the form's question.
_STATUS_RE = re.compile(
    r"查询|查一下|查查|进度|进展|怎么样了|办得怎么样|处理得怎么样|处理结果|办理情况|有结果|受理了没"
)


def asks_status(text: str) -> bool:
    """Whether a message asks about a report's progress (or names a ticket)."""
    return bool(_STATUS_RE.search(text or "") or normalise_ticket(text or ""))


def look_up(
    store: CaseStore, ticket: str, *, sender_id: str, phone: str | None, clock: Clock | None = None
) -> Lookup:
    """The status look-up by ticket (and phone), guarded against guessing (see the module)."""
    issue = store.get(ticket)
    if owns(issue, sender_id):
        return Lookup("shown", issue)
    if not phone:
        return Lookup("need_phone")
    throttle = Throttle(store, clock=clock)
    gates = [Gate("lookup_pair", f"{ticket}|{sender_id}"), Gate("lookup_conversation", sender_id)]
    source = masked_sender(sender_id)
    verdict = throttle.attempt(gates, kind="lookup", subject=ticket, source=source)
    if not verdict.allowed:
        if verdict.scope == "lookup_conversation":
            return Lookup("capped")
        return Lookup("wait", minutes=max(1, -(-verdict.wait_s // 60)))
    if issue is not None and may_view(issue, sender_id=sender_id, phone=phone):
        throttle.succeeded(gates)
        throttle.audit("lookup_shown", subject=ticket, source=source)  # who else saw it
        return Lookup("shown", issue)
    throttle.failed(
        gates, kind="lookup", subject=ticket, source=source, tally=[Gate("lookup_ticket", ticket)]
    )
    return Lookup("no_match")


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
