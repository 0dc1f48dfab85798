"""One issue's page: its fields, history, duplicates, evidence and call-backs, and evidence files.

What the member may see is the policy's (bot/casework/access.py): an issue outside a department's
scope answers like one that does not exist, and reporter data is masked for all but the office.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from bot import texts
from bot.casework import access, deadlines, lifecycle, origin, queries, results
from bot.casework.accounts import StaffMember
from bot.casework.commands import EDITABLE
from bot.casework.evidence import blob_path
from bot.casework.ledger import CHANNEL_LABELS
from bot.casework.routing import departments
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
from bot.casework.tickets import normalise_ticket
from bot.clock import utcnow
from bot.exceptions import IssueNotFound
from bot.nlp.privacy import mask_phones_in_text
from bot.web.console import charts
from bot.web.console.entities import issue_html
from bot.web.console.formatting import (
    citizen_text,
    deadline_of,
    local_time,
    mask_identifier,
    phone_label,
    reporter_label,
    shorten,
    status_label,
)
from bot.web.console.pages import SettingsDep, StoreDep, render_page, router
from bot.web.console.photos import photo_notes
from bot.web.console.security import Member

logger = logging.getLogger(__name__)

#: Statuses from which an issue may be routed (or re-routed) to a department.
#: The longest stretch of the reporter's words highlighted (a hotline transcript can be 20,000).
MAX_HIGHLIGHT_CHARS = 8000
ROUTABLE = ("received", "accepted", "reopened", "routed", "in_progress")


def load_issue(store: CaseStore, ticket: str, member: StaffMember) -> IssueView:
    """The issue, if the member may see it; department staff get the same answer for "not
    yours" as for "does not exist"."""
    issue = store.get(normalise_ticket(ticket) or ticket)
    if issue is None or not access.sees_issue(member, issue):
        raise IssueNotFound(texts.text("staff", "console.errors.no_issue", ticket=ticket))
    return issue


def source_text(issue: IssueView) -> str:
    """来源, 受理编号 and batch of a registered report (migration 0008), e.g. 督察交办 D-0012（第3批）."""
    parts = [p for p in (issue.source, issue.external_ref) if p]
    return " ".join(parts) + (f"（{issue.batch}）" if issue.batch else "")


def _detail_fields(
    issue: IssueView, tz: ZoneInfo, member: StaffMember
) -> list[tuple[str, str, str]]:
    """(field name, label, shown value) in the order a case officer reads them."""
    coords = (
        f"{issue.latitude:.6f}, {issue.longitude:.6f}"
        if issue.latitude is not None and issue.longitude is not None
        else ""
    )
    label = texts.table("staff", "console.issue.fields")
    said = texts.table("staff", "console.issue.evidence")
    evidence = {True: said["yes"], False: said["no"], None: said["unknown"]}[issue.has_evidence]
    return [
        ("", label["ticket"], issue.ticket),
        ("", label["channel"], CHANNEL_LABELS.get(issue.channel, issue.channel)),
        ("", label["source"], source_text(issue)),
        ("", label["created"], local_time(issue.created_at, tz)),
        ("", label["updated"], local_time(issue.updated_at, tz)),
        ("categories", label["categories"], "、".join(issue.categories)),
        ("phenomenon", label["phenomenon"], citizen_text(issue.phenomenon, member)),
        ("province", label["province"], issue.province or ""),
        ("city", label["city"], issue.city or ""),
        ("district", label["district"], issue.district or ""),
        ("town", label["town"], issue.town or ""),
        ("address", label["address"], citizen_text(issue.address, member)),
        ("", label["coordinates"], coords),
        ("time_text", label["time_text"], issue.time_text or ""),
        ("polluter", label["polluter"], citizen_text(issue.polluter, member)),
        ("", label["evidence"], evidence),
        ("evidence_text", label["evidence_text"], citizen_text(issue.evidence_text, member)),
        ("reporter_name", label["reporter_name"], reporter_label(issue, member)),
        ("reporter_phone", label["reporter_phone"], phone_label(issue.reporter_phone, member)),
        ("", label["sender"], mask_identifier(issue.reporter_sender_id)),
        ("", label["client_ref"], mask_identifier(issue.client_ref)),
    ]


def _found(issue: IssueView, member: StaffMember) -> Markup | None:
    """The reporter's words with what extraction found highlighted (bot/web/console/entities.py),
    masked for the member first; None when there are none."""
    text = citizen_text(issue.original_text, member)
    if not text.strip():
        return None
    return issue_html(text[:MAX_HIGHLIGHT_CHARS], issue.province, issue.city)


def _edit_values(issue: IssueView) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in EDITABLE:
        value = getattr(issue, name)
        out[name] = (
            "、".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        )
    return out


def _link(lk: queries.LinkBrief, member: StaffMember) -> dict[str, Any]:
    """A duplicate suggestion as the panel lists it. Another department's issue is only named as
    "a similar report, handled by ..." (no ticket, summary or reason): 举报保护 across units."""
    other = lk.other
    states = texts.table("staff", "console.issue.link_states")
    if other is not None and not access.sees_linked(member, other):
        elsewhere = (
            texts.text("staff", "security.duplicate_elsewhere", department=other.department)
            if other.department
            else texts.text("staff", "security.duplicate_unrouted")
        )
        return {"id": lk.id, "state": lk.state, "elsewhere": elsewhere}
    return {
        "id": lk.id,
        "elsewhere": "",
        "reason": lk.reason,
        "score": f"{lk.score:.2f}",
        "state": lk.state,
        "state_label": states[lk.state],
        "other": other.ticket if other else "?",
        "other_status": status_label(other.status) if other else "",
        "other_summary": shorten(citizen_text(other.phenomenon, member), 30) if other else "",
    }


def _record_context(
    record: queries.IssueRecord, tz: ZoneInfo, member: StaffMember
) -> dict[str, Any]:
    """The lists around the issue, formatted and masked for the member."""
    edit_labels = {
        **EDITABLE,
        **texts.table("staff", "console.issue.edit_labels"),
        **results.LABELS,
    }
    hidden = texts.text("staff", "console.issue.hidden")

    def shown(field: str, value: str | None) -> str | None:
        how = access.edit_view(member, field)
        if how == "hidden":
            return hidden
        return value if how == "full" else mask_phones_in_text(value)

    return {
        "edits": [
            {
                "at": local_time(e.at, tz),
                "actor": e.actor,
                "field": edit_labels.get(e.field, e.field),
                "old": shown(e.field, e.old_value),
                "new": shown(e.field, e.new_value),
            }
            for e in record.edits
        ],
        "links": [_link(lk, member) for lk in record.links],
        "children": [
            {
                "ticket": c.ticket,
                "channel": CHANNEL_LABELS.get(c.channel, c.channel),
                "reporter": reporter_label(c, member),
                "phone": phone_label(c.reporter_phone, member),
                "created": local_time(c.created_at, tz),
                "status": status_label(c.status),
            }
            for c in record.children
        ],
        "parent": record.parent_ticket,
        "evidence": [
            {
                "id": ev.id,
                "kind": ev.kind,
                "content_type": ev.content_type,
                "size_kb": f"{ev.size / 1024:.0f}",
                "received": local_time(ev.received_at, tz),
                "note": citizen_text(ev.note, member),
                "sha": ev.sha256[:12],
            }
            for ev in record.evidence
        ],
        "tasks": [
            {
                "id": t.id,
                "message": t.message,
                "created": local_time(t.created_at, tz),
                "done": local_time(t.done_at, tz),
                "done_by": t.done_by or "",
                "outcome": t.outcome or "",
            }
            for t in record.tasks
        ],
    }


@router.get("/issues/{ticket}", response_class=HTMLResponse)
def issue_detail(
    ticket: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    msg: str = "",
) -> HTMLResponse:
    issue = load_issue(store, ticket, member)
    tz = ZoneInfo(settings.timezone)
    record = queries.issue_record(store, issue)
    label, note = lifecycle.citizen_status(issue)
    _, flag = deadline_of(issue, utcnow())
    rules = lifecycle.rules()
    targets = access.status_targets(member, rules.targets(issue.status))
    return render_page(
        request,
        "issue.html",
        member,
        settings,
        issue=issue,
        ticket=issue.ticket,
        msg=msg,
        fields=_detail_fields(issue, tz, member),
        edit_values=_edit_values(issue) if access.may_handle(member) else {},
        original=citizen_text(issue.original_text, member).splitlines(),
        found_html=_found(issue, member),
        events=[
            {
                "at": local_time(e.at, tz),
                "actor": e.actor,
                "from_label": status_label(e.from_status),
                "to_label": status_label(e.to_status),
                "note": citizen_text(e.note, member),
            }
            for e in issue.events
        ],
        status_label=status_label(issue.status),
        status_open=lifecycle.is_open(issue.status),
        citizen_label=label,
        citizen_note=note,
        accept_due=local_time(issue.accept_due, tz),
        handle_due=local_time(issue.handle_due, tz),
        accepted_at=local_time(issue.accepted_at, tz),
        due_flag=flag,
        due_label=deadlines.FLAG_LABELS[flag],
        departments=departments(),
        targets=[(t, status_label(t)) for t in targets],
        can_accept=rules.can(issue.status, "accepted"),
        can_route=issue.status in ROUTABLE,
        can_merge=rules.can(issue.status, "merged") and issue.merged_into_id is None,
        can_feedback=issue.status == "resolved",
        map_svg=charts.position_map(issue.latitude, issue.longitude)
        if issue.latitude is not None and issue.longitude is not None
        else None,
        editable=EDITABLE,
        photos=photo_notes(issue, record.evidence, settings.evidence_dir, tz),
        results_required=results.required_for(issue),
        source=origin.source_of(issue),
        verdicts=results.verdicts(),
        result_labels=results.LABELS,
        **_record_context(record, tz, member),
    )


@router.get("/evidence/{evidence_id}")
def evidence_file(
    evidence_id: int, store: StoreDep, settings: SettingsDep, member: Member
) -> Response:
    """The original file of a photo/video/voice note, for members who may see its issue."""
    found = queries.evidence_file(store, evidence_id)
    if found is None:
        raise IssueNotFound(texts.text("staff", "console.errors.no_evidence"))
    load_issue(store, found.ticket, member)  # scope check
    path = blob_path(settings.evidence_dir, found.sha256)
    if not path.is_file():
        raise IssueNotFound(texts.text("staff", "console.errors.evidence_missing"))
    return FileResponse(
        path,
        media_type=found.content_type,
        headers={
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )
