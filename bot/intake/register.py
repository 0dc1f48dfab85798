"""登记 for every channel: a letter, a visit's notes, a referral or a hand-over row typed or pasted
by staff becomes an extraction-assisted draft, then an IssueDraft with its source recorded.

The draft is the hotline page's (bot.nlp.transcripts and bot.calls: one extraction pass, each field with the
sentence it came from, what is missing, the scope decision); a pasted letter reads as an
unlabelled transcript. The console's 登记 page (bot/web/console/register.py) and the batch import
of hand-over tables (bot/ops/table_import.py) both file through `entry_draft`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from bot import texts
from bot.calls import FIELD_LABELS, TranscriptError, check, questions
from bot.casework.catalog import categories as known_categories
from bot.casework.schemas import IssueDraft
from bot.intake.categories import fine_categories, named, other
from bot.intake.context import Context
from bot.intake.values import MAX_EXTRACT_CHARS, MAX_ORIGINAL_CHARS, clip
from bot.nlp.extraction import Place, extract
from bot.nlp.extraction.gazetteer import gazetteer
from bot.nlp.privacy import normalise_phone
from bot.nlp.transcripts import build_draft, parse

logger = logging.getLogger(__name__)

#: Draft warnings that speak of a phone call, not of a letter (no speakers in a letter is normal).
_CALL_ONLY_WARNINGS = frozenset({"no_speakers", "caller_number_invalid"})
#: 污染类型 cells list several types: 「大气、噪声」「水/土壤」「大气，固废」.
_TYPE_SEPARATORS = re.compile(r"[、,，/／;；\s]+")


class EntryError(ValueError):
    """What staff entered cannot be registered; the message is for them, in Chinese."""


@dataclass(frozen=True)
class DraftRow:
    """One field of the draft, its value as shown, and the sentences of the text it came from."""

    name: str
    label: str
    value: str
    sentences: tuple[str, ...] = ()


@dataclass
class Assisted:
    """The extraction-assisted draft of a text: the form's initial values and what to check."""

    text: str
    rows: list[DraftRow] = field(default_factory=list)
    #: (label, question) of each report field the text does not answer.
    missing: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Why it is not an environmental matter (to be transferred), else None.
    transfer: str | None = None
    #: A borderline matter: the scope rule it matched (bot/data/scope.yml).
    scope_rule: str | None = None
    categories: list[str] = field(default_factory=list)
    district: str = ""
    town: str = ""
    address: str = ""
    time_text: str = ""
    polluter: str = ""
    evidence_text: str = ""
    phone: str = ""
    anonymous: bool = False
    #: Ambiguous place names: the candidate areas staff choose from.
    candidates: list[str] = field(default_factory=list)


def assist(text: str, ctx: Context) -> Assisted:
    """The draft of a pasted or typed text; EntryError for what cannot be read (empty, binary,
    too long, not Chinese)."""
    try:
        cleaned = check(text)
    except TranscriptError as exc:
        raise EntryError(texts.text("staff", f"register.text_errors.{exc.code}")) from exc
    draft = build_draft(parse(cleaned), province=ctx.province, city=ctx.city)
    out = Assisted(text=cleaned)
    for name, f in draft.fields.items():
        value = "、".join(f.value) if isinstance(f.value, list) else str(f.value or "")
        sentences = tuple(dict.fromkeys(s.text for s in f.sources))
        out.rows.append(DraftRow(name, FIELD_LABELS[name], value, sentences))
    asked = questions()
    out.missing = [(FIELD_LABELS[n], asked.get(n, "")) for n in draft.missing]
    out.warnings = [w["message"] for w in draft.warnings if w["code"] not in _CALL_ONLY_WARNINGS]
    out.transfer = draft.transfer
    out.scope_rule = draft.scope_rule
    values = draft.slot_values()
    known = known_categories()
    out.categories = [c for c in values["categories"] if c in known]
    place = draft.place
    if place is not None:
        out.district = place.district or ""
        out.town = place.town or ""
        out.address = place.address or ""
        out.candidates = list(place.candidates)
    out.time_text = values["time_text"] or ""
    out.polluter = values["polluter"] or ""
    if draft.has_evidence:
        out.evidence_text = values["evidence"] or ""
    out.anonymous = bool(values["anonymous"])
    out.phone = values["contact_phone"] or ""
    return out


@lru_cache(maxsize=4)
def districts(province: str, city: str) -> tuple[str, ...]:
    """The counties and districts (区/县/县级市) of the deployment city, from the gazetteer."""
    gz = gazetteer()
    for unit in gz.units.values():
        parent = gz.units.get(unit.parent)
        if unit.name == city and parent is not None and parent.name == province:
            return tuple(gz.units[c].name for c in gz.children.get(unit.code, []))
    return ()


def area_of(text: str, ctx: Context) -> Place | None:
    """The district (and town) named by a 行政区域 cell or field: 「涪城区」「绵阳市涪城区青义镇」;
    None when it names no place of the deployment city or is ambiguous."""
    found = extract(text[:200], province=ctx.province, city=ctx.city).place
    if found is None or found.candidates or not found.district:
        return None
    if found.city and found.city != ctx.city:
        return None
    return found


def categories_of(cell: str) -> tuple[list[str], list[str]]:
    """Known categories named by a 污染类型 cell, and the words that name none."""
    found: list[str] = []
    unknown: list[str] = []
    known = known_categories()
    for word in _TYPE_SEPARATORS.split(cell.strip()):
        if not word:
            continue
        name = word if word in known else named(word.removesuffix("污染"))
        if name is None:
            unknown.append(word)
        elif name not in found:
            found.append(name)
    return found, unknown


def text_categories(text: str) -> list[str]:
    """The categories extraction finds in a complaint (fine labels, 油烟/扬尘 kept)."""
    return fine_categories(extract(text[:MAX_EXTRACT_CHARS]))


@dataclass
class Entry:
    """What staff confirmed (or an imported row): the issue to register, before checks."""

    source: str
    text: str
    categories: list[str]
    district: str = ""
    town: str = ""
    address: str = ""
    time_text: str = ""
    polluter: str = ""
    evidence_text: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    external_ref: str = ""
    batch: str = ""
    handed_over_at: datetime | None = None
    scope_rule: str | None = None
    import_run_id: int | None = None
    has_evidence: bool | None = None


def entry_draft(
    entry: Entry, *, client_ref: str, sender_id: str, actor: str, ctx: Context
) -> IssueDraft:
    """The IssueDraft of a confirmed entry (channel `staff`, the source recorded); EntryError for
    what staff must correct (no text, an unknown district, a phone number that is none)."""
    text = entry.text.strip()
    if not text:
        raise EntryError(texts.text("staff", "register.errors.no_text"))
    phone = None
    if entry.reporter_phone.strip() and not entry.anonymous:
        phone = normalise_phone(entry.reporter_phone)
        if phone is None:
            raise EntryError(texts.text("staff", "register.errors.bad_phone"))
    # 匿名: neither name nor phone is kept, whatever was typed before the box was ticked.
    name = "" if entry.anonymous else entry.reporter_name.strip()
    district = entry.district.strip()
    if district and district not in districts(ctx.province, ctx.city):
        place = area_of(district, ctx)
        if place is None or place.district is None:
            raise EntryError(texts.text("staff", "register.errors.unknown_district", name=district))
        district = place.district
    cats = [c for c in entry.categories if c in known_categories()] or [other()]
    evidence = entry.evidence_text.strip()
    return IssueDraft(
        channel="staff",
        client_ref=client_ref[:128],
        reporter_sender_id=sender_id[:128],
        reporter_name=clip(name, 64) if name else None,
        reporter_phone=phone,
        anonymous=phone is None and not name,
        categories=list(dict.fromkeys(cats)),
        phenomenon=clip(text, 4000),
        province=ctx.province,
        city=ctx.city,
        district=district or None,
        town=clip(entry.town, 32) if entry.town.strip() else None,
        address=clip(entry.address, 1000) if entry.address.strip() else None,
        time_text=clip(entry.time_text, 200) if entry.time_text.strip() else None,
        polluter=clip(entry.polluter, 200) if entry.polluter.strip() else None,
        has_evidence=entry.has_evidence
        if entry.has_evidence is not None
        else bool(evidence) or None,
        evidence_text=clip(evidence, 4000) if evidence else None,
        original_text=text[:MAX_ORIGINAL_CHARS],
        agent_id=actor[:64],
        scope_rule=clip(entry.scope_rule, 300) if entry.scope_rule else None,
        source=entry.source,
        external_ref=clip(entry.external_ref, 64) if entry.external_ref.strip() else None,
        batch=clip(entry.batch, 32) if entry.batch.strip() else None,
        handed_over_at=entry.handed_over_at,
        import_run_id=entry.import_run_id,
    )
