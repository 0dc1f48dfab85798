"""Staff console (工作台) pages: login, the ledger list, one issue with its actions, exports.

Server-rendered with Jinja2 (autoescape on: citizen text never runs as markup). Every page needs
a session (bot/web/console/security.py); every POST carries the session's CSRF token. What a member
sees is decided here: department staff only their department's issues, contacts only for the
intake office. Templates display strings prepared below.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from bot.casework import deadlines, lifecycle
from bot.casework.accounts import StaffMember
from bot.casework.catalog import categories, statuses
from bot.casework.commands import EDITABLE, CaseWork
from bot.casework.evidence import blob_path
from bot.casework.ledger import CHANNEL_LABELS, SORT_LABELS, IssueFilter, Ledger
from bot.casework.models import CallbackTask, DuplicateLink, Evidence, FieldEdit, Issue, utcnow
from bot.casework.routing import departments
from bot.casework.schemas import IssueView
from bot.casework.store import CaseStore
from bot.casework.tickets import normalise_ticket
from bot.config import Settings
from bot.exceptions import InvalidReport, IssueNotFound, NotAuthorized
from bot.nlp.privacy import mask_name, mask_phone, mask_phones_in_text
from bot.web.console import charts
from bot.web.console.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Member,
    Office,
    Posting,
    Writer,
    accounts,
)
from bot.web.deps import app_settings, case_store

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_SIZE = 20
PAGE_SIZES = (20, 50, 100)

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


# -- formatting ---------------------------------------------------------------------------------
def mask_identifier(value: str | None) -> str:
    """A sender id (WeChat openid etc.) identifies a person: keep only enough to tell two apart."""
    if not value:
        return ""
    if len(value) <= 6:
        return "*" * len(value)
    return f"{value[:3]}***{value[-2:]}"


def local_time(moment: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else ""


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_label(code: str | None) -> str:
    if code is None:
        return "—"
    status = statuses().get(code)
    return status.label if status else code


def reporter_label(issue: IssueView | Issue, member: StaffMember) -> str:
    if issue.anonymous:
        return "匿名"
    if member.sees_contact:
        return issue.reporter_name or "未留姓名"
    return mask_name(issue.reporter_name) or "未留姓名"


def phone_label(phone: str | None, member: StaffMember) -> str:
    return (phone or "") if member.sees_contact else mask_phone(phone)


def citizen_text(text: str | None, member: StaffMember) -> str:
    """Free text from a citizen: phone numbers inside it are masked unless the office reads it."""
    return (text or "") if member.sees_contact else mask_phones_in_text(text)


@dataclass(frozen=True)
class IssueRow:
    """One line of the ledger list, already formatted and masked for the member."""

    ticket: str
    created: str
    categories: str
    summary: str
    area: str
    address: str
    polluter: str
    department: str
    status_label: str
    status_open: bool
    due: str
    due_flag: str
    due_label: str
    channel: str
    reporter: str
    phone: str
    duplicate: bool
    hotspot: bool
    merged: bool


def row_of(issue: Issue, tz: ZoneInfo, member: StaffMember, now: datetime) -> IssueRow:
    status = statuses().get(issue.status)
    due_at = issue.accept_due if issue.status == "received" else issue.handle_due
    flag = deadlines.flag(
        due_at, now, finished=issue.status in lifecycle.FINISHED, pol=deadlines.policy()
    )
    return IssueRow(
        ticket=issue.ticket,
        created=local_time(issue.created_at, tz),
        categories="、".join(issue.categories),
        summary=shorten(citizen_text(issue.phenomenon, member)),
        area="".join(p for p in (issue.district, issue.town) if p)
        or "".join(p for p in (issue.province, issue.city) if p),
        address=citizen_text(issue.address, member),
        polluter=citizen_text(issue.polluter, member),
        department=issue.department or "",
        status_label=status_label(issue.status),
        status_open=status.open if status else True,
        due=local_time(due_at, tz, "%m-%d") if flag != "done" else "",
        due_flag=flag,
        due_label=deadlines.FLAG_LABELS[flag],
        channel=CHANNEL_LABELS.get(issue.channel, issue.channel),
        reporter=reporter_label(issue, member),
        phone=phone_label(issue.reporter_phone, member),
        duplicate=bool(issue.duplicate_count),
        hotspot=bool(issue.hotspot),
        merged=issue.merged_into_id is not None,
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
        {"status_code": status_code, "message": message, "member": member, "nav": ""},
        status_code=status_code,
    )


def _page(
    request: Request, name: str, member: StaffMember | None, settings: Settings, **context: Any
) -> HTMLResponse:
    context.setdefault("nav", "")
    return templates.TemplateResponse(
        request, name, {"member": member, "timezone": settings.timezone, **context}
    )


def _back(ticket: str, message: str = "") -> RedirectResponse:
    suffix = f"?{urlencode({'msg': message})}" if message else ""
    return RedirectResponse(f"/console/issues/{ticket}{suffix}", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: a login link must not send staff to another site."""
    if (
        target
        and target.startswith("/console")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return "/console"


# -- login --------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, settings: SettingsDep, next: str = "/console", error: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = _page(
        request, "login.html", None, settings, next=_safe_next(next), error=error, csrf_token=token
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
        raise NotAuthorized("登录页面已过期，请刷新后重试 (CSRF)")
    try:
        token = accounts(request).login(username, password)
    except NotAuthorized:
        query = urlencode({"next": _safe_next(next), "error": "用户名或密码错误"})
        return RedirectResponse(f"/console/login?{query}", status_code=303)
    response = RedirectResponse(_safe_next(next), status_code=303)
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


# -- the ledger list ----------------------------------------------------------------------------
def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidReport(f"日期格式应为 YYYY-MM-DD：{value}") from exc


def build_filter(request: Request, member: StaffMember) -> IssueFilter:
    """The list's filter from the query string; department staff are always scoped."""
    q = request.query_params
    wanted = [s for s in q.getlist("status") if s]
    if wanted == ["open"]:
        wanted = [c for c, s in statuses().items() if s.open and c != "merged"]
    unknown = [s for s in wanted if s not in statuses()]
    if unknown:
        raise InvalidReport(f"未知的状态：{'、'.join(unknown)}")
    deadline = q.get("deadline", "")
    if deadline not in ("", "overdue", "soon"):
        raise InvalidReport("时限筛选只能是 overdue 或 soon")
    return IssueFilter(
        statuses=wanted,
        category=q.get("category", ""),
        district=q.get("district", ""),
        department=q.get("department", ""),
        channel=q.get("channel", ""),
        date_from=_parse_date(q.get("from")),
        date_to=_parse_date(q.get("to")),
        deadline=deadline,  # type: ignore[arg-type]
        duplicates=q.get("duplicates") == "1",
        hotspot=q.get("hotspot") == "1",
        q=q.get("q", "")[:100],
        sort=q.get("sort", "-created") if q.get("sort", "-created") in SORT_LABELS else "-created",
        scope_department=member.scope_department,
    )


def _query_without(request: Request, *drop: str) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in drop and v]
    return urlencode(items)


@router.get("", response_class=HTMLResponse)
def issue_list(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = PAGE_SIZE,
) -> HTMLResponse:
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    f = build_filter(request, member)
    ledger = Ledger(store, settings.timezone)
    issues, total, more = ledger.page(f, page=page, size=size, now=now)
    pages = max(1, math.ceil(total / size))
    return _page(
        request,
        "issues.html",
        member,
        settings,
        nav="list",
        rows=[row_of(i, tz, member, now) for i in issues],
        page=page,
        pages=pages,
        total=total,
        size=size,
        more=more,
        total_label=f"{total:,}+" if more else str(total),
        f=f,
        form=request.query_params,
        paging_query=_query_without(request, "page"),
        export_query=_query_without(request, "page", "size", "sort"),
        statuses=[(c, s.label) for c, s in statuses().items()],
        categories=list(categories()),
        districts=ledger.distinct("district", member.scope_department),
        departments=departments(),
        channels=list(CHANNEL_LABELS.items()),
        sorts=list(SORT_LABELS.items()),
        page_sizes=PAGE_SIZES,
        selected_statuses=set(request.query_params.getlist("status")),
    )


# -- one issue ----------------------------------------------------------------------------------
def _load(store: CaseStore, ticket: str, member: StaffMember) -> Issue:
    canonical = normalise_ticket(ticket) or ticket
    with store._session() as s:
        issue = s.execute(select(Issue).where(Issue.ticket == canonical)).scalar_one_or_none()
        if issue is not None:
            _ = issue.events  # load the history before the session closes
            s.expunge(issue)
    if issue is None or (
        member.scope_department is not None and issue.department != member.scope_department
    ):
        # Department staff get the same answer for "not yours" as for "does not exist".
        raise IssueNotFound(f"没有编号为 {ticket} 的举报")
    return issue


def _detail_fields(issue: Issue, tz: ZoneInfo, member: StaffMember) -> list[tuple[str, str, str]]:
    """(field name, label, shown value) in the order a case officer reads them."""
    coords = (
        f"{issue.latitude:.6f}, {issue.longitude:.6f}"
        if issue.latitude is not None and issue.longitude is not None
        else ""
    )
    yes_no = {True: "有", False: "无", None: "未说明"}
    return [
        ("", "举报编号", issue.ticket),
        ("", "来源渠道", CHANNEL_LABELS.get(issue.channel, issue.channel)),
        ("", "登记时间", local_time(issue.created_at, tz)),
        ("", "最近更新", local_time(issue.updated_at, tz)),
        ("categories", "问题类型", "、".join(issue.categories)),
        ("phenomenon", "问题描述", citizen_text(issue.phenomenon, member)),
        ("province", "省", issue.province or ""),
        ("city", "市", issue.city or ""),
        ("district", "行政区域", issue.district or ""),
        ("town", "乡镇街道", issue.town or ""),
        ("address", "详细地址", citizen_text(issue.address, member)),
        ("", "经纬度", coords),
        ("time_text", "发生时间", issue.time_text or ""),
        ("polluter", "被举报对象", citizen_text(issue.polluter, member)),
        ("", "证据", yes_no[issue.has_evidence]),
        ("evidence_text", "证据说明", citizen_text(issue.evidence_text, member)),
        ("reporter_name", "举报人", reporter_label(issue, member)),
        ("reporter_phone", "联系电话", phone_label(issue.reporter_phone, member)),
        ("", "会话标识", mask_identifier(issue.reporter_sender_id)),
        ("", "渠道请求号", mask_identifier(issue.client_ref)),
    ]


def _edit_values(issue: Issue) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in EDITABLE:
        value = getattr(issue, name)
        out[name] = (
            "、".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        )
    return out


@router.get("/issues/{ticket}", response_class=HTMLResponse)
def issue_detail(
    ticket: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    member: Member,
    msg: str = "",
) -> HTMLResponse:
    issue = _load(store, ticket, member)
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    view = IssueView.model_validate(issue)
    with store._session() as s:
        links = list(
            s.execute(
                select(DuplicateLink)
                .where(or_(DuplicateLink.issue_id == issue.id, DuplicateLink.other_id == issue.id))
                .order_by(DuplicateLink.id)
            ).scalars()
        )
        other_ids = {lk.other_id if lk.issue_id == issue.id else lk.issue_id for lk in links}
        children = list(
            s.execute(
                select(Issue).where(Issue.merged_into_id == issue.id).order_by(Issue.id)
            ).scalars()
        )
        parent = s.get(Issue, issue.merged_into_id) if issue.merged_into_id else None
        others = (
            {i.id: i for i in s.execute(select(Issue).where(Issue.id.in_(other_ids))).scalars()}
            if other_ids
            else {}
        )
        edits = list(
            s.execute(
                select(FieldEdit).where(FieldEdit.issue_id == issue.id).order_by(FieldEdit.id)
            ).scalars()
        )
        evidence = list(
            s.execute(
                select(Evidence).where(Evidence.issue_id == issue.id).order_by(Evidence.id)
            ).scalars()
        )
        tasks = list(
            s.execute(
                select(CallbackTask)
                .where(CallbackTask.issue_id == issue.id)
                .order_by(CallbackTask.id)
            ).scalars()
        )
        s.expunge_all()
    label, note = lifecycle.citizen_status(view)
    due_at = issue.accept_due if issue.status == "received" else issue.handle_due
    flag = deadlines.flag(
        due_at, now, finished=issue.status in lifecycle.FINISHED, pol=deadlines.policy()
    )
    targets = [t for t in lifecycle.rules().targets(issue.status) if t not in ("routed", "merged")]
    if member.role == "department":
        targets = [t for t in targets if t in ("in_progress", "resolved")]
    edit_labels = {**EDITABLE, "department": "责任单位", "satisfaction": "满意度"}
    return _page(
        request,
        "issue.html",
        member,
        settings,
        issue=issue,
        ticket=issue.ticket,
        msg=msg,
        fields=_detail_fields(issue, tz, member),
        edit_values=_edit_values(issue) if member.role == "office" else {},
        original=citizen_text(issue.original_text, member).splitlines(),
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
        edits=[
            {
                "at": local_time(e.at, tz),
                "actor": e.actor,
                "field": edit_labels.get(e.field, e.field),
                "old": e.old_value
                if member.sees_contact or not e.field.startswith("reporter")
                else "（已隐藏）",
                "new": e.new_value
                if member.sees_contact or not e.field.startswith("reporter")
                else "（已隐藏）",
            }
            for e in edits
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
        can_accept=lifecycle.rules().can(issue.status, "accepted"),
        can_route=issue.status in ("received", "accepted", "reopened", "routed", "in_progress"),
        can_merge=lifecycle.rules().can(issue.status, "merged") and issue.merged_into_id is None,
        can_feedback=issue.status == "resolved",
        links=[
            {
                "id": lk.id,
                "reason": lk.reason,
                "score": f"{lk.score:.2f}",
                "state": lk.state,
                "state_label": {
                    "suggested": "待确认",
                    "confirmed": "已确认合并",
                    "rejected": "已排除",
                }[lk.state],
                "other": others[oid].ticket
                if (oid := lk.other_id if lk.issue_id == issue.id else lk.issue_id) in others
                else "?",
                "other_status": status_label(others[oid].status) if oid in others else "",
                "other_summary": shorten(citizen_text(others[oid].phenomenon, member), 30)
                if oid in others
                else "",
            }
            for lk in links
        ],
        children=[
            {
                "ticket": c.ticket,
                "channel": CHANNEL_LABELS.get(c.channel, c.channel),
                "reporter": reporter_label(c, member),
                "phone": phone_label(c.reporter_phone, member),
                "created": local_time(c.created_at, tz),
                "status": status_label(c.status),
            }
            for c in children
        ],
        parent=parent.ticket if parent else None,
        evidence=[
            {
                "id": ev.id,
                "kind": ev.kind,
                "content_type": ev.content_type,
                "size_kb": f"{ev.size / 1024:.0f}",
                "received": local_time(ev.received_at, tz),
                "note": citizen_text(ev.note, member),
                "sha": ev.sha256[:12],
            }
            for ev in evidence
        ],
        tasks=[
            {
                "id": t.id,
                "message": t.message,
                "created": local_time(t.created_at, tz),
                "done": local_time(t.done_at, tz),
                "done_by": t.done_by or "",
                "outcome": t.outcome or "",
            }
            for t in tasks
        ],
        map_svg=charts.position_map(issue.latitude, issue.longitude)
        if issue.latitude is not None and issue.longitude is not None
        else None,
        editable=EDITABLE,
    )


@router.get("/evidence/{evidence_id}")
def evidence_file(
    evidence_id: int, store: StoreDep, settings: SettingsDep, member: Member
) -> Response:
    """The original file of a photo/video/voice note, for members who may see its issue."""
    with store._session() as s:
        ev = s.get(Evidence, evidence_id)
        issue = s.get(Issue, ev.issue_id) if ev is not None and ev.issue_id else None
        ticket = issue.ticket if issue else None
        sha, content_type = (ev.sha256, ev.content_type) if ev is not None else ("", "")
    if ticket is None:
        raise IssueNotFound("没有这份证据")
    _load(store, ticket, member)  # scope check
    path = blob_path(settings.evidence_dir, sha)
    if not path.is_file():
        raise IssueNotFound("证据文件不在本机存储中")
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


# -- actions ------------------------------------------------------------------------------------
def _work(request: Request) -> CaseWork:
    return CaseWork(case_store(request), app_settings(request))


@router.post("/issues/{ticket}/accept")
def accept(ticket: str, request: Request, member: Office, note: FormStr = "") -> Response:
    store = case_store(request)
    _load(store, ticket, member)
    _work(request).accept(ticket, actor=member.actor, note=note.strip() or None)
    return _back(ticket, "已受理")


@router.post("/issues/{ticket}/route")
def route(
    ticket: str,
    request: Request,
    member: Office,
    department: FormStr = "",
    district: FormStr = "",
    note: FormStr = "",
) -> Response:
    _load(case_store(request), ticket, member)
    _work(request).route(
        ticket,
        department=department,
        district=district or None,
        actor=member.actor,
        note=note.strip() or None,
    )
    return _back(ticket, f"已分办至{department}")


@router.post("/issues/{ticket}/status")
def change_status(
    ticket: str, request: Request, member: Writer, to_status: FormStr = "", note: FormStr = ""
) -> Response:
    _load(case_store(request), ticket, member)
    if member.role == "department" and to_status not in ("in_progress", "resolved"):
        raise NotAuthorized("责任单位只能更新为“办理中”或“已办结”")
    _work(request).change_status(ticket, to_status, actor=member.actor, note=note.strip() or None)
    return _back(ticket, f"状态已更新为“{status_label(to_status)}”，已通知举报人")


@router.post("/issues/{ticket}/merge")
def merge(
    ticket: str, request: Request, member: Office, into: FormStr = "", note: FormStr = ""
) -> Response:
    _load(case_store(request), ticket, member)
    target = normalise_ticket(into) or into.strip()
    _work(request).merge(ticket, target, actor=member.actor, note=note.strip() or None)
    return _back(ticket, f"已合并至 {target}")


@router.post("/issues/{ticket}/edit")
async def edit(ticket: str, request: Request, member: Office) -> Response:
    """Saves the field form; only changed fields are written, each one audited."""
    form = await request.form()
    changes = {k: str(v) for k, v in form.items() if k in EDITABLE}
    return await run_in_threadpool(_save_edit, ticket, request, member, changes)


def _save_edit(
    ticket: str, request: Request, member: StaffMember, changes: dict[str, str]
) -> Response:
    _load(case_store(request), ticket, member)
    _work(request).edit(ticket, changes, actor=member.actor)
    return _back(ticket, "已保存修改")


@router.post("/issues/{ticket}/feedback")
def feedback(
    ticket: str, request: Request, member: Office, satisfied: FormStr = "", comment: FormStr = ""
) -> Response:
    """满意度 recorded by staff (a hotline call-back); citizens answer in the chat themselves."""
    _load(case_store(request), ticket, member)
    _work(request).feedback(
        ticket, satisfied=satisfied == "1", actor=member.actor, comment=comment or None
    )
    return _back(ticket, "已记录满意度")


@router.post("/duplicates/{link_id}")
def decide_duplicate(
    link_id: int, request: Request, member: Office, decision: FormStr = "", back: FormStr = ""
) -> Response:
    issue = _work(request).decide_duplicate(
        link_id, confirm=decision == "confirm", actor=member.actor
    )
    ticket = normalise_ticket(back) or issue.ticket
    return _back(ticket, "已确认重复并合并" if decision == "confirm" else "已排除重复")
