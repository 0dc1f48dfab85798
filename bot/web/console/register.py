"""多渠道登记: staff register a letter, a visit, a referral, a patrol's finding or a hand-over.

Choose the source, paste or type the text, get the hotline page's extraction-assisted draft (each
field with the sentence it came from, what is missing, the scope decision: bot/intake/register.py),
correct it, attach the scanned letter or the photos, register. Server-rendered forms, so the page
works from the keyboard alone (labels, tab order, Alt+Shift+S submits). Intake office accounts
only; every POST carries the CSRF token. Registering the same form twice files it once
(client_ref register:<uid>); a source's number (受理编号) is registered once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot import texts
from bot.casework import access
from bot.casework.accounts import StaffMember
from bot.casework.attachments import MAX_FILES, AttachmentRefused, Checked, check
from bot.casework.catalog import categories as known_categories
from bot.casework.sources import resolve, sources
from bot.intake import Context
from bot.intake.register import Assisted, Entry, EntryError, assist, districts, entry_draft
from bot.web.channels import evidence_store
from bot.web.console.pages import SettingsDep, render_page
from bot.web.console.security import Member, Office
from bot.web.deps import case_store

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/console/register", tags=["console"], include_in_schema=False)

FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
Files = Annotated[list[UploadFile], File()]
#: The evidence channel and conversation id of a registration's files until the issue is filed.
CHANNEL = "staff"


def context_of(settings: Any) -> Context:
    return Context(
        province=settings.deployment_province,
        city=settings.deployment_city,
        timezone=settings.timezone,
    )


def _form(**values: Any) -> dict[str, Any]:
    """The form's values (what staff typed, or the draft's), with every key the template reads."""
    base: dict[str, Any] = {
        "source": "",
        "external_ref": "",
        "batch": "",
        "handed_over_at": "",
        "text": "",
        "categories": [],
        "district": "",
        "town": "",
        "address": "",
        "time_text": "",
        "polluter": "",
        "evidence_text": "",
        "reporter_name": "",
        "reporter_phone": "",
        "anonymous": False,
        "force": False,
        "uid": uuid.uuid4().hex,
    }
    base.update({k: v for k, v in values.items() if v is not None})
    return base


def _page(
    request: Request,
    member: StaffMember,
    settings: Any,
    *,
    form: dict[str, Any],
    assisted: Assisted | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx = context_of(settings)
    scope = None
    if assisted is not None:
        if assisted.transfer:
            scope = (
                "transfer",
                texts.text("staff", "register.scope_transfer", reason=assisted.transfer),
            )
        elif assisted.scope_rule:
            scope = (
                "borderline",
                texts.text("staff", "register.scope_borderline", rule=assisted.scope_rule),
            )
        else:
            scope = ("ok", texts.text("staff", "register.scope_ok"))
    response = render_page(
        request,
        "register.html",
        member,
        settings,
        nav="register",
        form=form,
        assisted=assisted,
        scope=scope,
        errors=errors or [],
        sources=list(sources().values()),
        categories=list(known_categories()),
        districts=districts(ctx.province, ctx.city),
        can_file=access.may_handle(member),
        max_files=MAX_FILES,
        max_mb=settings.max_evidence_bytes // (1024 * 1024),
    )
    response.status_code = status_code
    return response


@router.get("", response_class=HTMLResponse)
def register_page(request: Request, member: Member, settings: SettingsDep) -> HTMLResponse:
    return _page(request, member, settings, form=_form())


def _source_error(source: str) -> str | None:
    return None if resolve(source) else texts.text("staff", "register.errors.no_source")


@router.post("/draft", response_class=HTMLResponse)
def draft(
    request: Request,
    member: Office,
    settings: SettingsDep,
    source: FormStr = "",
    text: FormStr = "",
    external_ref: FormStr = "",
    batch: FormStr = "",
    handed_over_at: FormStr = "",
    uid: FormStr = "",
) -> HTMLResponse:
    """The extraction-assisted draft of the text, as the form's starting values."""
    form = _form(
        source=source,
        text=text,
        external_ref=external_ref.strip(),
        batch=batch.strip(),
        handed_over_at=handed_over_at.strip(),
        uid=_uid(uid),
    )
    errors = [e for e in (_source_error(source),) if e]
    try:
        assisted = assist(text, context_of(settings))
    except EntryError as exc:
        return _page(
            request, member, settings, form=form, errors=[*errors, str(exc)], status_code=400
        )
    form.update(
        text=assisted.text,
        categories=assisted.categories,
        district=assisted.district,
        town=assisted.town,
        address=assisted.address,
        time_text=assisted.time_text,
        polluter=assisted.polluter,
        evidence_text=assisted.evidence_text,
        reporter_phone=assisted.phone,
        anonymous=assisted.anonymous,
    )
    return _page(request, member, settings, form=form, assisted=assisted, errors=errors)


def _uid(value: str) -> str:
    value = value.strip()
    return (
        value
        if len(value) == 32 and all(c in "0123456789abcdef" for c in value)
        else uuid.uuid4().hex
    )


def _local_time(value: str, timezone: str) -> datetime | None:
    """A datetime-local field (2026-12-03T09:30) or a date, in the deployment's time zone."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise EntryError(texts.text("staff", "register.errors.bad_time")) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


async def _read_files(files: list[UploadFile], max_bytes: int) -> list[Checked]:
    """Each chosen file checked by its content (never more than max_bytes + 1 read)."""
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_FILES:
        raise AttachmentRefused(texts.text("staff", "register.files.too_many", n=MAX_FILES))
    out: list[Checked] = []
    for f in chosen:
        data = await f.read(max_bytes + 1)
        out.append(await run_in_threadpool(check, f.filename or "", data, max_bytes=max_bytes))
    return out


@router.post("", response_class=HTMLResponse)
async def register(
    request: Request,
    member: Office,
    settings: SettingsDep,
    source: FormStr = "",
    text: FormStr = "",
    external_ref: FormStr = "",
    batch: FormStr = "",
    handed_over_at: FormStr = "",
    categories: FormList = [],  # noqa: B006  (FastAPI copies defaults per request)
    district: FormStr = "",
    town: FormStr = "",
    address: FormStr = "",
    time_text: FormStr = "",
    polluter: FormStr = "",
    evidence_text: FormStr = "",
    reporter_name: FormStr = "",
    reporter_phone: FormStr = "",
    anonymous: FormStr = "",
    force: FormStr = "",
    uid: FormStr = "",
    files: Files = [],  # noqa: B006
) -> Response:
    """Registers the confirmed form with its files; on any problem the form comes back as typed."""
    form = _form(
        source=source,
        text=text,
        external_ref=external_ref.strip(),
        batch=batch.strip(),
        handed_over_at=handed_over_at.strip(),
        categories=[c for c in categories if c],
        district=district.strip(),
        town=town.strip(),
        address=address.strip(),
        time_text=time_text.strip(),
        polluter=polluter.strip(),
        evidence_text=evidence_text.strip(),
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        anonymous=anonymous == "1",
        force=force == "1",
        uid=_uid(uid),
    )
    ctx = context_of(settings)
    store = case_store(request)
    assisted: Assisted | None = None
    try:
        found = resolve(source)
        if found is None:
            raise EntryError(texts.text("staff", "register.errors.no_source"))
        assisted = await run_in_threadpool(assist, text, ctx)
        if assisted.transfer and not form["force"]:
            raise EntryError(texts.text("staff", "register.force_needed"))
        ref = form["external_ref"]
        if found.handover and not ref:
            raise EntryError(texts.text("staff", "register.errors.no_ref", source=found.name))
        if ref and (same := store.by_external_ref(found.name, ref)) is not None:
            return _to_issue(
                same.ticket,
                texts.text(
                    "staff", "register.already_ref", source=found.name, ref=ref, ticket=same.ticket
                ),
            )
        checked = await _read_files(files, settings.max_evidence_bytes)
        entry = Entry(
            source=found.name,
            text=assisted.text,
            categories=form["categories"],
            district=form["district"],
            town=form["town"],
            address=form["address"],
            time_text=form["time_text"],
            polluter=form["polluter"],
            evidence_text=form["evidence_text"],
            reporter_name=form["reporter_name"],
            reporter_phone=form["reporter_phone"],
            anonymous=form["anonymous"],
            external_ref=ref,
            batch=form["batch"],
            handed_over_at=_local_time(form["handed_over_at"], settings.timezone),
            scope_rule=assisted.scope_rule,
            has_evidence=True if checked else None,
        )
        sender = f"register:{form['uid']}"
        issue_draft = entry_draft(
            entry, client_ref=sender, sender_id=sender, actor=member.actor, ctx=ctx
        )
    except (EntryError, AttachmentRefused) as exc:
        return _page(
            request,
            member,
            settings,
            form=form,
            assisted=assisted,
            errors=[str(exc)],
            status_code=400,
        )
    except ValidationError as exc:
        reasons = "；".join(str(e.get("msg", "")) for e in exc.errors())
        message = texts.text("staff", "register.errors.invalid", reasons=reasons)
        return _page(
            request,
            member,
            settings,
            form=form,
            assisted=assisted,
            errors=[message],
            status_code=400,
        )
    evidence = evidence_store(request)
    for n, f in enumerate(checked):
        # Kept before filing, under the form's id; filing attaches them in its transaction.
        await run_in_threadpool(
            partial(
                evidence.add,
                channel=CHANNEL,
                sender_id=sender,
                kind=f.kind,
                data=f.data,
                content_type=f.content_type,
                msg_id=f"{form['uid']}:{n}",
                note=f.name,
            )
        )
    issue, new = await run_in_threadpool(store.file, issue_draft)
    if not new:
        return _to_issue(issue.ticket, texts.text("staff", "register.already", ticket=issue.ticket))
    logger.info("registered %s source=%s files=%d", issue.ticket, entry.source, len(checked))
    return _to_issue(
        issue.ticket,
        texts.text("staff", "register.filed", ticket=issue.ticket, source=entry.source),
    )


def _to_issue(ticket: str, message: str) -> RedirectResponse:
    return RedirectResponse(
        f"/console/issues/{ticket}?{urlencode({'msg': message})}", status_code=303
    )
