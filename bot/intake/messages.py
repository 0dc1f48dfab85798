"""Turns what a citizen says during a report into report fields, summaries and a filing draft.

Pure functions over plain dicts, so the actions stay thin and every rule here is unit-tested
without Rasa. Slot names are the ones in domain.yml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.casework.catalog import categories as known_categories
from bot.casework.lifecycle import citizen_status
from bot.casework.schemas import Channel, IssueDraft, IssueView
from bot.nlp.extraction import Extraction, Place, extract
from bot.nlp.extraction.corrections import parse_correction
from bot.nlp.privacy import mask_phone, normalise_phone
from bot.nlp.transcripts import FIELDS as FORM_SLOTS

#: Longest piece of one message kept in a report field; the full words go to original_text.
MAX_FIELD_CHARS = 1000
#: Longest text run through extraction (a pasted essay must not stall the bot).
MAX_EXTRACT_CHARS = 3000
MAX_ORIGINAL_CHARS = 20000

REPORT_SLOTS = (
    *FORM_SLOTS,  # the questions the form asks, in order
    "area_parts",
    "address",
    "place_candidates",
    "has_evidence",
    "contact_phone",
    "anonymous",
    "report_messages",
    "report_uid",
    "latitude",
    "longitude",
    "hotline_call",
)

NON_REPORT_INTENTS = frozenset(
    {
        "ask_status",
        "ask_scope",
        "ask_reward",
        "handoff",
        "greet",
        "goodbye",
        "thank",
        "cancel",
        "feedback_satisfied",
        "feedback_unsatisfied",
    }
)
REPORT_INTENTS = frozenset({"report_problem", "inform", "correct_report"})

UNKNOWN = "不详"
_UNKNOWN_RE = re.compile(
    r"^(我)?(也)?(不清楚|不知道|不晓得|不确定|没注意|说不清|没有|没|无|不记得)(是谁|是哪家|具体|啊|呢|哦|了)?[。.!！]*$"
)
_ANON_RE = re.compile(r"匿名|不留(电话|联系方式|号码)?|不想留|不方便留|保密")
_DENY_RE = re.compile(r"^(没有|没|无|不是|暂时没有|没拍|没有拍|还没有)")
_TRIGGER_RE = re.compile(
    r"^(你好|您好)?[，,]?(我)?(要|想|想要|需要)?(举报|投诉|反映|曝光|登记)(一下|一个|个)?"
    r"(环境|污染|环境污染)?(问题|情况|事情|事)?[，,。！!]*"
)
#: What a channel sends the bot for a photo, video, voice note or link (connectors/wechat.py):
#: evidence, whatever question the form is asking.
MEDIA_RE = re.compile(r"^\[(图片|视频|语音|链接)\]")
#: A location pin: 「[位置] <the pin's address label>」, coordinates in the message metadata.
PIN_RE = re.compile(r"^\[位置\]\s*")
_MEDIA_LABELS = {"图片": "照片", "视频": "视频", "语音": "录音", "链接": "链接"}
_RETRY_RE = re.compile(r"^(继续|重试|再试一次|好的?|确认|可以)[。.!！]*$")
_CATEGORY_WORDS: dict[str, str] = {
    "大气": "大气",
    "空气": "大气",
    "废气": "大气",
    "气味": "大气",
    "臭": "大气",
    "烟": "大气",
    "水": "水",
    "污水": "水",
    "废水": "水",
    "河": "水",
    "噪": "噪声",
    "吵": "噪声",
    "声": "噪声",
    "固废": "固废",
    "固体": "固废",
    "垃圾": "固废",
    "废渣": "固废",
    "油烟": "油烟",
    "扬尘": "扬尘",
    "灰尘": "扬尘",
    "粉尘": "扬尘",
    "生态": "生态",
    "毁林": "生态",
    "采砂": "生态",
    "土壤": "土壤",
    "辐射": "辐射",
    "海洋": "海洋",
    "其他": "其他",
    "其它": "其他",
}
#: The numbered menu in utter_ask_categories.
_CATEGORY_MENU = ["大气", "水", "噪声", "固废", "油烟", "扬尘", "生态", "其他"]


@dataclass
class Update:
    """Slot values to set, and domain responses (name, variables) to send, in order."""

    slots: dict[str, Any] = field(default_factory=dict)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """Deployment context: a bare county or town name is resolved inside this city."""

    province: str = "四川省"
    city: str = "绵阳市"
    timezone: str = "Asia/Shanghai"


def _clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_unknown(text: str) -> bool:
    return bool(_UNKNOWN_RE.match(text.strip()))


def strip_trigger(text: str) -> str:
    """我要举报，XX厂偷排 → XX厂偷排: the part of a first message that describes the problem."""
    return _TRIGGER_RE.sub("", text.strip(), count=1).strip()


def categories_from_answer(text: str, found: list[str]) -> list[str]:
    """The answer to "which category?": a menu number, a category word, or what extraction saw."""
    t = text.strip()
    if t.isdigit() and 1 <= int(t) <= len(_CATEGORY_MENU):
        return [_CATEGORY_MENU[int(t) - 1]]
    if found:
        return found
    for word, cat in _CATEGORY_WORDS.items():
        if word in t:
            return [cat]
    return ["其他"]


def fine_categories(ex: Extraction) -> list[str]:
    """Categories to file: the fine labels (油烟/扬尘 kept), each a known category."""
    known = known_categories()
    labels = [t for t in ex.pollution_types if t in known] or [
        c for c in ex.categories if c in known
    ]
    # 油烟/扬尘 already imply 大气: don't list 大气 twice unless something else was said.
    return list(dict.fromkeys(labels))


def _place_slots(ex: Extraction, text: str, ctx: Context) -> dict[str, Any]:
    place = ex.place
    out: dict[str, Any] = {"location": _clip(text, 300)}
    if place is None:
        out["address"] = _clip(text, 300)
        return out
    if place.is_ambiguous:
        out["place_candidates"] = list(place.candidates)
        out["address"] = place.address or None
        return out
    if place.district or place.town:
        out["area"] = place.area_text
        out["area_parts"] = {
            "province": place.province or ctx.province,
            "city": place.city
            or (ctx.city if not place.province or place.province == ctx.province else None),
            "district": place.district,
            "town": place.town,
        }
        out["place_candidates"] = None
    out["address"] = place.address or None
    return out


def _resolve_candidate(text: str, candidates: list[str]) -> str | None:
    t = text.strip()
    if t.isdigit() and 1 <= int(t) <= len(candidates):
        return candidates[int(t) - 1]
    hits = [
        c
        for c in candidates
        if any(part and part in c for part in re.split(r"[的那个边里,，\s]+", t) if len(part) >= 2)
    ]
    return hits[0] if len(hits) == 1 else None


def _area_slots_from_candidate(candidate: str, ctx: Context) -> dict[str, Any]:
    ex = extract(candidate, province=ctx.province, city=ctx.city)
    slots = _place_slots(ex, candidate, ctx)
    slots.pop("location", None)
    slots.pop("address", None)
    slots["area"] = slots.get("area") or candidate
    slots["place_candidates"] = None
    return slots


def _contact_slots(text: str, ex: Extraction) -> Update:
    phones = ex.phones or ([p] if (p := normalise_phone(text)) else [])
    if phones:
        return Update({"contact": phones[0], "contact_phone": phones[0], "anonymous": False})
    if _ANON_RE.search(text) or _DENY_RE.match(text):
        return Update({"contact": "匿名", "contact_phone": None, "anonymous": True})
    return Update({"contact": None}, [("contact_invalid", {})])


def _evidence_slots(text: str, intent: str | None) -> dict[str, Any]:
    t = text.strip()
    if intent == "deny" or _DENY_RE.match(t):
        return {"evidence": "无", "has_evidence": False}
    if intent == "affirm" and len(t) <= 2:
        return {"evidence": "有（稍后补充）", "has_evidence": True}
    return {"evidence": _clip(t, 500), "has_evidence": True}


def _media_evidence(kind: str, slots: Mapping[str, Any]) -> dict[str, Any]:
    """A photo/video/voice note/link sent in the chat is evidence; several add up."""
    label = f"已发送{_MEDIA_LABELS.get(kind, kind)}"
    previous = str(slots.get("evidence") or "")
    if previous and previous not in ("无", "有（稍后补充）") and not MEDIA_RE.match(previous):
        label = previous if label in previous else f"{previous}；{label}"
    return {"evidence": _clip(label, 500), "has_evidence": True}


def pin_coordinates(metadata: Mapping[str, Any] | None) -> dict[str, float]:
    """latitude/longitude of a location pin in the message metadata, if valid."""
    pin = (metadata or {}).get("location") if isinstance(metadata, Mapping) else None
    if not isinstance(pin, Mapping):
        return {}
    try:
        lat, lng = float(pin["latitude"]), float(pin["longitude"])
    except (KeyError, TypeError, ValueError):
        return {}
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return {}
    return {"latitude": lat, "longitude": lng}


def _apply_correction(field_name: str, value: str, ctx: Context) -> dict[str, Any]:
    ex = extract(value[:MAX_EXTRACT_CHARS], province=ctx.province, city=ctx.city)
    if field_name == "place":
        slots = _place_slots(ex, value, ctx)
        if not ex.place or not (ex.place.district or ex.place.town or ex.place.is_ambiguous):
            slots["area"] = None  # ask again which county/town
            slots["area_parts"] = None
        return slots
    if field_name == "time":
        return {"time_text": _clip(value, 200)}
    if field_name == "polluter":
        return {"polluter": UNKNOWN if is_unknown(value) else _clip(ex.polluter or value, 200)}
    if field_name == "type":
        return {"categories": categories_from_answer(value, fine_categories(ex))}
    if field_name == "contact":
        return _contact_slots(value, ex).slots
    if field_name == "description":
        cats = fine_categories(ex)
        return {"description": _clip(value), **({"categories": cats} if cats else {})}
    if field_name == "evidence":
        return _evidence_slots(value, None)
    return {}


def interpret(
    text: str,
    *,
    intent: str | None,
    requested_slot: str | None,
    form_active: bool,
    slots: Mapping[str, Any],
    ctx: Context,
    metadata: Mapping[str, Any] | None = None,
) -> Update:
    """What one user message says about the report in progress.

    The requested slot takes the whole answer; everything else the message reveals fills only
    slots that are still empty, so a reporter is never asked for what they already said.
    A correction (地点是…) overrides the named field.
    """
    text = (text or "").strip()
    if not text or intent in NON_REPORT_INTENTS:
        return Update()
    if requested_slot and slots.get(requested_slot) and _RETRY_RE.match(text):
        # "继续" after a "system busy" message is not the answer to the question asked before.
        return Update({requested_slot: slots.get(requested_slot)})
    in_report = form_active or bool(requested_slot) or intent in REPORT_INTENTS
    if not in_report:
        return Update()
    call = hotline_call(metadata)
    if (
        call is not None
        and isinstance(metadata, Mapping)
        and isinstance(metadata["hotline"].get("draft"), Mapping)
    ):
        return hotline_update(metadata["hotline"], ctx)

    upd = Update()
    if call is not None and not slots.get("hotline_call"):
        upd.slots["hotline_call"] = call  # a second report in the same call keeps the call id
    messages = list(slots.get("report_messages") or [])
    if not messages or messages[-1] != text:
        messages.append(_clip(text, 2000))
    upd.slots["report_messages"] = messages[-40:]

    media = MEDIA_RE.match(text)
    if media:
        upd.slots.update(_media_evidence(media.group(1), slots))
        if form_active and requested_slot and requested_slot != "evidence":
            upd.slots[requested_slot] = None  # a photo does not answer this question: ask again
        return upd
    pin = bool(PIN_RE.match(text))
    if pin:
        upd.slots.update(pin_coordinates(metadata))
        text = PIN_RE.sub("", text) or text
        if form_active and requested_slot and requested_slot not in ("location", "area"):
            upd.slots[requested_slot] = None  # a pin answers where, not this question
            requested_slot = None

    ex = extract(text[:MAX_EXTRACT_CHARS], province=ctx.province, city=ctx.city)
    found_cats = fine_categories(ex)

    corrections = parse_correction(text) if (intent == "correct_report" or not form_active) else {}
    if corrections:
        for name, value in corrections.items():
            upd.slots.update(_apply_correction(name, value, ctx))
        if requested_slot and requested_slot not in upd.slots:
            upd.slots[requested_slot] = None  # the message was a correction, not this answer
        return upd

    answered: set[str] = set()
    if form_active and requested_slot:
        answered.add(requested_slot)
        if requested_slot == "description":
            upd.slots["description"] = _clip(text)
        elif requested_slot == "categories":
            upd.slots["categories"] = categories_from_answer(text, found_cats)
        elif requested_slot == "location":
            upd.slots.update(_place_slots(ex, text, ctx))
            answered.add("area")
        elif requested_slot == "area":
            answered.add("location")
            candidates = list(slots.get("place_candidates") or [])
            chosen = _resolve_candidate(text, candidates) if candidates else None
            if chosen:
                upd.slots.update(_area_slots_from_candidate(chosen, ctx))
            elif is_unknown(text):
                upd.slots.update({"area": UNKNOWN, "place_candidates": None})
            else:
                place_slots = _place_slots(ex, text, ctx)
                place_slots.pop("location", None)
                if not slots.get("address"):
                    place_slots.setdefault("address", _clip(text, 300))
                elif place_slots.get("address") is None:
                    place_slots.pop("address", None)
                if "area" not in place_slots and not place_slots.get("place_candidates"):
                    place_slots["area"] = _clip(text, 100)  # keep what they said; staff will check
                upd.slots.update(place_slots)
        elif requested_slot == "time_text":
            upd.slots["time_text"] = _clip(
                text if len(text) <= 40 or not ex.time_text else ex.time_text, 200
            )
        elif requested_slot == "polluter":
            upd.slots["polluter"] = UNKNOWN if is_unknown(text) else _clip(ex.polluter or text, 200)
        elif requested_slot == "evidence":
            upd.slots.update(_evidence_slots(text, intent))
        elif requested_slot == "contact":
            contact = _contact_slots(text, ex)
            upd.slots.update(contact.slots)
            upd.messages.extend(contact.messages)
    elif not form_active and not pin:
        # The first message (or one outside the form): a description of the problem itself.
        rest = strip_trigger(text)
        if not slots.get("description") and len(rest) >= 4 and (found_cats or len(rest) >= 8):
            upd.slots["description"] = _clip(rest)

    # Everything else this message reveals fills empty slots only.
    def empty(name: str) -> bool:
        return name not in answered and not slots.get(name) and not upd.slots.get(name)

    if (
        found_cats
        and empty("categories")
        and (upd.slots.get("description") or slots.get("description"))
    ):
        upd.slots["categories"] = found_cats
    if (
        ex.place
        and empty("location")
        and empty("area")
        and (ex.place.district or ex.place.town or ex.place.is_ambiguous)
    ):
        upd.slots.update(_place_slots(ex, ex.place.mention or text, ctx))
        if ex.place.address and not form_active:
            upd.slots["location"] = _clip(text, 300)
    if ex.time_text and empty("time_text") and requested_slot != "contact":
        upd.slots["time_text"] = ex.time_text
    if ex.polluter and empty("polluter"):
        upd.slots["polluter"] = ex.polluter
    if ex.phones and empty("contact"):
        upd.slots.update(
            {"contact": ex.phones[0], "contact_phone": ex.phones[0], "anonymous": False}
        )
    if upd.slots.get("place_candidates"):
        upd.messages.append(
            (
                "ask.area_ambiguous",
                {
                    "mention": (ex.place.mention if ex.place else None) or "这个地名",
                    "candidates": "\n".join(
                        f"{i}. {c}" for i, c in enumerate(upd.slots["place_candidates"], 1)
                    ),
                },
            )
        )
    return upd


# -- hotline calls (connectors/hotline.py, bot/nlp/transcripts.py) -------------------------------------
def hotline_call(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """call_id / agent_id / started_at of a hotline message's metadata, else None.

    The action passes hotline metadata only for messages that came in on the hotline channel
    (a REST client could send any metadata)."""
    hotline = metadata.get("hotline") if isinstance(metadata, Mapping) else None
    if not isinstance(hotline, Mapping) or not hotline.get("call_id"):
        return None
    return {
        "call_id": str(hotline["call_id"])[:64],
        "agent_id": str(hotline["agent_id"])[:64] if hotline.get("agent_id") else None,
        "started_at": str(hotline["started_at"]) if hotline.get("started_at") else None,
    }


def hotline_update(hotline: Mapping[str, Any], ctx: Context) -> Update:
    """The first message of a hotline call: the channel's draft of the whole transcript (one
    extraction pass, corrections applied, caller number as contact) becomes the report slots;
    the form then asks only for what is missing. client_ref hotline:<call_id> makes filing the
    same call twice return the first issue."""
    draft: Mapping[str, Any] = hotline.get("draft") or {}
    call = hotline_call({"hotline": hotline}) or {}
    upd = Update()
    s = upd.slots
    s["hotline_call"] = call
    s["report_uid"] = f"hotline:{call.get('call_id')}"
    transcript = str(hotline.get("transcript") or draft.get("description") or "")
    s["report_messages"] = [transcript[:MAX_ORIGINAL_CHARS]] if transcript else []
    if draft.get("description"):
        s["description"] = _clip(str(draft["description"]))
    known = known_categories()
    cats = [str(c) for c in draft.get("categories") or [] if str(c) in known]
    if cats:
        s["categories"] = list(dict.fromkeys(cats))
    place = draft.get("place")
    if isinstance(place, Mapping):
        found = Place(
            **{
                k: place.get(k)
                for k in ("province", "city", "district", "town", "address", "mention")
            },
            candidates=[str(c) for c in place.get("candidates") or []],
        )
        if found.district or found.town or found.candidates or found.address:
            text = str(draft.get("location_text") or found.mention or found.address or "")
            s.update(_place_slots(Extraction(place=found, places=[found]), text, ctx))
            if found.candidates:
                upd.messages.append(
                    (
                        "ask.area_ambiguous",
                        {
                            "mention": found.mention or "这个地名",
                            "candidates": "\n".join(
                                f"{i}. {c}" for i, c in enumerate(found.candidates, 1)
                            ),
                        },
                    )
                )
    if draft.get("time_text"):
        s["time_text"] = _clip(str(draft["time_text"]), 200)
    if draft.get("polluter"):
        s["polluter"] = _clip(str(draft["polluter"]), 200)
    if draft.get("evidence"):
        s["evidence"] = _clip(str(draft["evidence"]), 500)
        s["has_evidence"] = draft.get("has_evidence")
    phone = normalise_phone(draft.get("contact_phone"))
    if draft.get("anonymous"):
        s.update({"contact": "匿名", "contact_phone": None, "anonymous": True})
    elif phone:
        s.update({"contact": phone, "contact_phone": phone, "anonymous": False})
    return upd


# -- summary and filing ---------------------------------------------------------------------------
def _area_text(slots: Mapping[str, Any]) -> str:
    area = slots.get("area")
    return "" if not area or area == UNKNOWN else str(area)


def summary_variables(slots: Mapping[str, Any]) -> dict[str, str]:
    """Variables of the summary reply, in plain Chinese, contact masked."""
    cats = [c for c in (slots.get("categories") or []) if c]
    area = _area_text(slots)
    address = slots.get("address") or ""
    location = slots.get("location") or ""
    parts = (slots.get("area_parts") or {}) if isinstance(slots.get("area_parts"), dict) else {}
    short_area = "".join(p for p in (parts.get("district"), parts.get("town")) if p) or area
    place = short_area + (address if address and address not in short_area else "")
    if not place:
        place = location or "您说的地点"
    if address and not place.endswith(("附近", "一带")):
        place += "附近"
    place_full = (
        (area + (address if address and address not in area else "")) or location or UNKNOWN
    )
    contact = slots.get("contact")
    if slots.get("anonymous"):
        contact_text = "匿名"
    elif slots.get("contact_phone") or contact:
        contact_text = mask_phone(str(slots.get("contact_phone") or contact))
    else:
        contact_text = "未留"
    return {
        "place": place,
        "place_full": place_full,
        "categories": "、".join(cats) or "环境",
        "description": str(slots.get("description") or UNKNOWN),
        "time_text": str(slots.get("time_text") or UNKNOWN),
        "polluter": str(slots.get("polluter") or UNKNOWN),
        "evidence": str(slots.get("evidence") or "无"),
        "contact": contact_text,
    }


def _normalise_categories(values: list[Any]) -> list[str]:
    known = known_categories()
    out: list[str] = []
    for value in values:
        v = str(value)
        if v in known:
            out.append(v)
        else:
            out.extend(categories_from_answer(v, fine_categories(extract(v[:MAX_EXTRACT_CHARS]))))
    return list(dict.fromkeys(out)) or ["其他"]


def build_draft(
    slots: Mapping[str, Any], *, sender_id: str, channel: Channel, ctx: Context
) -> IssueDraft:
    """The IssueDraft for a confirmed report; tolerant of raw answers kept while actions were away."""
    parts = slots.get("area_parts") if isinstance(slots.get("area_parts"), dict) else {}
    parts = parts or {}
    area = _area_text(slots)
    phone = normalise_phone(slots.get("contact_phone") or slots.get("contact"))
    anonymous = bool(slots.get("anonymous")) or (phone is None)
    polluter = slots.get("polluter")
    messages = slots.get("report_messages") or []
    original = "\n".join(str(m) for m in messages)[:MAX_ORIGINAL_CHARS]
    address = slots.get("address") or slots.get("location")
    if not parts and area:
        address = f"{area} {address or ''}".strip()
    pin = pin_coordinates(
        {"location": {"latitude": slots.get("latitude"), "longitude": slots.get("longitude")}}
    )
    raw_call = slots.get("hotline_call")
    call: Mapping[str, Any] = raw_call if isinstance(raw_call, Mapping) else {}
    return IssueDraft(
        channel=channel,
        client_ref=slots.get("report_uid"),
        reporter_sender_id=sender_id,
        reporter_phone=None if anonymous else phone,
        anonymous=anonymous,
        categories=_normalise_categories(list(slots.get("categories") or [])),
        phenomenon=_clip(str(slots.get("description") or original or UNKNOWN), 4000),
        province=parts.get("province") or ctx.province,
        city=parts.get("city") or ctx.city,
        district=parts.get("district"),
        town=parts.get("town"),
        address=_clip(str(address), 1000) if address else None,
        time_text=_clip(str(slots.get("time_text")), 200) if slots.get("time_text") else None,
        polluter=None if not polluter or polluter == UNKNOWN else _clip(str(polluter), 200),
        has_evidence=slots.get("has_evidence"),
        evidence_text=None if slots.get("evidence") in (None, "无") else str(slots.get("evidence")),
        original_text=original or str(slots.get("description") or ""),
        latitude=pin.get("latitude"),
        longitude=pin.get("longitude"),
        call_id=call.get("call_id"),
        agent_id=call.get("agent_id"),
        call_started_at=call.get("started_at"),
    )


# -- status --------------------------------------------------------------------------------------
def may_view(issue: IssueView, *, sender_id: str, phone: str | None) -> bool:
    """Details go only to the conversation that filed it, or to whoever knows ticket + phone."""
    if issue.reporter_sender_id and issue.reporter_sender_id == sender_id:
        return True
    return bool(phone and issue.reporter_phone and normalise_phone(phone) == issue.reporter_phone)


def status_variables(issue: IssueView, ctx: Context) -> dict[str, str]:
    """Variables of the status reply: what a citizen needs to know, in plain Chinese."""
    # The same words as the console's "what the citizen sees" (bot/casework/lifecycle.py): a staff note
    # on the latest change beats the generic line; after 办结 the feedback question is asked.
    label, note = citizen_status(issue)
    created = issue.created_at.astimezone(ZoneInfo(ctx.timezone))
    where = "".join(p for p in (issue.district, issue.town) if p) or (issue.address or "")[:20]
    return {
        "ticket": issue.ticket,
        "created": f"{created.month}月{created.day}日 {created:%H:%M} 登记",
        "summary": f"{where}的{'、'.join(issue.categories)}问题"
        if where
        else f"{'、'.join(issue.categories)}问题",
        "status_label": label,
        "status_note": note,
    }
