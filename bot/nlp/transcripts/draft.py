"""The draft issue of a call: one extraction pass over the caller's complaint, each field with the
sentences it came from, the caller's corrections applied, the contact, and warnings for the agent.

Labels, notes and warnings are the agent's texts (bot/data/texts/agent.yml).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot import texts
from bot.calls import FIELDS, DraftWire
from bot.nlp.extraction import Extraction, Place, extract
from bot.nlp.extraction import lexicon as _lexicon
from bot.nlp.pipeline import read
from bot.nlp.privacy import normalise_phone
from bot.nlp.scope import decide
from bot.nlp.transcripts.parse import Sentence, Transcript
from bot.nlp.transcripts.vocabulary import patterns, vocabulary

logger = logging.getLogger(__name__)

#: Longest description put in the draft; the whole transcript is kept as the original text.
MAX_DESCRIPTION_CHARS = 1000


@dataclass
class DraftField:
    """One field of the draft issue and the transcript sentences it came from."""

    value: Any
    sources: list[Sentence] = field(default_factory=list)
    #: How the value was found when no sentence says it (e.g. 来电号码 from the call metadata).
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "sources": [s.as_source() for s in self.sources],
            "note": self.note,
        }


@dataclass
class Draft:
    transcript: Transcript
    extraction: Extraction
    fields: dict[str, DraftField] = field(default_factory=dict)
    place: Place | None = None
    anonymous: bool = False
    contact_phone: str | None = None
    has_evidence: bool | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    #: Why the call is not an environmental complaint (to be transferred), else None.
    transfer: str | None = None
    #: A borderline matter: the scope rule it matched (bot/data/scope.yml), filed for staff.
    scope_rule: str | None = None

    @property
    def missing(self) -> list[str]:
        return [f for f in FIELDS if f not in self.fields]

    def slot_values(self) -> dict[str, Any]:
        """Plain JSON for the bot (message metadata): what bot.intake turns into slots."""
        place = self.place
        return {
            "description": self._value("description"),
            "categories": self._value("categories") or [],
            "place": None
            if place is None
            else {
                "province": place.province,
                "city": place.city,
                "district": place.district,
                "town": place.town,
                "address": place.address,
                "mention": place.mention,
                "candidates": list(place.candidates),
            },
            "location_text": self._value("location"),
            "time_text": self._value("time_text"),
            "polluter": self._value("polluter"),
            "evidence": self._value("evidence"),
            "has_evidence": self.has_evidence,
            "anonymous": self.anonymous,
            "contact_phone": self.contact_phone,
            "scope_rule": self.scope_rule,
        }

    def wire(self) -> DraftWire:
        """What the app answers the hotline channel (bot/calls.py, bot/web/drafts.py)."""
        return DraftWire(
            shape=self.transcript.shape,
            complaint=self.transcript.complaint,
            fields=sorted(self.fields),
            slot_values=self.slot_values(),
            sources=self.sources(),
            notes=self.notes(),
            warnings=self.warnings,
            transfer=self.transfer,
        )

    def sources(self) -> dict[str, list[dict[str, Any]]]:
        return {name: [s.as_source() for s in f.sources] for name, f in self.fields.items()}

    def notes(self) -> dict[str, str]:
        return {name: f.note for name, f in self.fields.items() if f.note}

    def _value(self, name: str) -> Any:
        f = self.fields.get(name)
        return f.value if f else None


def _has(text: str, words: Iterable[str]) -> str | None:
    return next((w for w in words if w in text), None)


def _correction_tail(sentence: Sentence) -> str | None:
    """「不对，不是青义镇，是石马镇」 → 石马镇: what the caller put in place of what was said."""
    v = vocabulary()
    fallback = v.correction_fallback if v.correction_fallback in sentence.clean else None
    cue = _has(sentence.clean, v.correction_cues) or fallback
    if cue is None:
        return None
    after = sentence.clean[sentence.clean.find(cue) + len(cue) :]
    m = patterns()["correction_tail"].search(after)
    tail = (m.group("tail") if m else after).strip(" ，,。！？!?；;")
    return tail or None


def _apply_corrections(t: Transcript, d: Draft, province: str | None, city: str | None) -> None:
    corrected = texts.text("agent", "draft.notes.corrected")
    callers = t.caller_sentences
    for i, s in enumerate(callers):
        tail = _correction_tail(s)
        if tail is None:
            continue
        sources = [s]
        ex = extract(tail, province=province, city=city)
        if not (ex.place or ex.time_text or ex.polluter) and i + 1 < len(callers):
            nxt = callers[i + 1]  # 「不对不对。」「是石马镇。」
            ex = extract(nxt.clean, province=province, city=city)
            sources = [s, nxt]
        place = ex.place
        if place and not (place.district or place.town) and not place.candidates:
            place = None
        if (place is None or place.candidates) and d.place and d.place.district and ex.place:
            hinted = extract(
                f"{d.place.district}{ex.place.mention or tail}", province=province, city=city
            ).place
            if hinted and (hinted.town or hinted.district) and not hinted.candidates:
                place = hinted
        if place is not None:
            d.place = place
            d.fields["location"] = DraftField(_location_text(place), sources, corrected)
            if place.district or place.town:
                d.fields["area"] = DraftField(place.area_text, sources, corrected)
            else:
                d.fields.pop("area", None)
        if ex.time_text:
            d.fields["time_text"] = DraftField(ex.time_text, sources, corrected)
        if ex.polluter:
            d.fields["polluter"] = DraftField(ex.polluter, sources, corrected)


def _location_text(place: Place) -> str:
    area = "".join(p for p in (place.district, place.town) if p)
    return (area + (place.address or "")) or place.mention or ""


def build_draft(
    t: Transcript,
    *,
    caller_number: str | None = None,
    province: str | None = None,
    city: str | None = None,
) -> Draft:
    """The draft issue of a call: one extraction pass over the caller's complaint, each field with
    the sentences it came from, corrections applied, the caller's number as the contact unless
    they asked for anonymity."""
    v = vocabulary()
    ex = read(t.complaint, province, city)
    d = Draft(t, ex)
    callers = t.caller_sentences

    # What happened: the sentences that describe a problem (or the agent's summary).
    second = next((s for s in callers if _has(s.clean, v.second_problem_cues)), None)
    cut = next((a for a, _b, i in t.spans if second is not None and i == second.index), None)
    hits = [h for h in _lexicon.find(t.complaint) if h.counts]
    if cut:  # two problems in one call: the draft is the first one (see _warnings)
        hits = [h for h in hits if h.start < cut] or hits
    problem: list[Sentence] = []
    for h in hits:
        s = t.sentence_at(h.start)
        if s is not None and s not in problem:
            problem.append(s)
    summary = [s for s in callers if s.role == "summary"]
    described = summary or sorted(problem, key=lambda s: s.index)
    if described:
        text = "".join(
            s.clean if s.clean[-1:] in "。！？!?；;" else s.clean + "。"
            for s in described
            if s.clean
        )
        d.fields["description"] = DraftField(_clip(text), described)
    elif callers:
        d.fields["description"] = DraftField(_clip(t.complaint), callers[:3])

    fine, _cats = _lexicon.types_of(hits)
    if fine:
        cat_sources = [s for s in problem if s not in summary][:3] or problem[:3]
        d.fields["categories"] = DraftField(fine, cat_sources)

    place = ex.place
    if place is not None:
        d.place = place
        where = [x for x in (t.find(place.mention), t.find(place.address)) if x is not None]
        where = list(dict.fromkeys(where))
        if place.district or place.town or place.candidates or place.address:
            d.fields["location"] = DraftField(_location_text(place), where)
        if place.district or place.town:
            d.fields["area"] = DraftField(place.area_text, where)
    if ex.time_text:
        d.fields["time_text"] = DraftField(ex.time_text, _one(t.find(ex.time_text)))
    if ex.polluter:
        d.fields["polluter"] = DraftField(ex.polluter, _one(t.find(ex.polluter)))

    for s in callers:
        if _has(s.clean, v.evidence_no):
            d.fields["evidence"] = DraftField(texts.text("agent", "draft.values.no_evidence"), [s])
            d.has_evidence = False
            break
        if _has(s.clean, v.evidence_yes):
            d.fields["evidence"] = DraftField(_clip(s.clean, 200), [s])
            d.has_evidence = True
            break

    _apply_corrections(t, d, province, city)
    _contact(t, d, caller_number)
    _warnings(t, d)
    scope = decide(t.complaint, fine or ex.categories)
    if scope.verdict in ("elsewhere", "unclear"):
        d.transfer = (
            scope.topic.agent if scope.topic else texts.text("agent", "draft.transfer.default")
        )
    elif scope.verdict == "borderline" and scope.topic is not None:
        d.scope_rule = scope.topic.rule
    return d


def _one(s: Sentence | None) -> list[Sentence]:
    return [s] if s is not None else []


def _clip(text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _contact(t: Transcript, d: Draft, caller_number: str | None) -> None:
    """Anonymous if asked; else a number the caller gave; else the number they called from."""
    v = vocabulary()
    not_anonymous = patterns()["not_anonymous"]
    for s in t.caller_sentences:
        cue = _has(s.clean, v.anonymity_cues)
        if cue and not not_anonymous.search(s.clean):
            d.anonymous = True
            d.fields["contact"] = DraftField(texts.text("agent", "draft.values.anonymous"), [s])
            return
    if d.extraction.phones:
        phone = d.extraction.phones[0]
        d.contact_phone = phone
        d.fields["contact"] = DraftField(
            phone, _one(t.find(phone)), texts.text("agent", "draft.notes.given")
        )
        return
    number = normalise_phone(caller_number)
    if number:
        d.contact_phone = number
        d.fields["contact"] = DraftField(
            number, [], texts.text("agent", "draft.notes.caller_number")
        )
    elif caller_number:
        d.warnings.append(
            {
                "code": "caller_number_invalid",
                "message": texts.text("agent", "draft.warnings.caller_number_invalid"),
            }
        )


def _warnings(t: Transcript, d: Draft) -> None:
    """What the agent should check: a second problem, an ambiguous place, no speakers found."""
    v = vocabulary()
    ex = d.extraction
    second = next((s for s in t.caller_sentences if _has(s.clean, v.second_problem_cues)), None)
    others = [p for p in ex.polluters if p != (d.fields.get("polluter") or DraftField(None)).value]
    corrected_note = texts.text("agent", "draft.notes.corrected")
    corrected = {s.index for f in d.fields.values() if f.note == corrected_note for s in f.sources}
    far = [
        p
        for p in ex.places
        if d.place
        and (p.district, p.town) != (d.place.district, d.place.town)
        and (p.town or p.district)
        and not corrected
    ]
    if second is not None or (others and far):
        detail = "、".join(dict.fromkeys([*others, *(x.area_text for x in far)]))
        also = texts.text("agent", "draft.warnings.multiple_problems_also", detail=detail)
        d.warnings.append(
            {
                "code": "multiple_problems",
                "message": texts.text(
                    "agent", "draft.warnings.multiple_problems", also=also if detail else ""
                ),
                **({"sentence": second.text} if second is not None else {}),
            }
        )
    if d.place is not None and d.place.candidates:
        d.warnings.append(
            {
                "code": "ambiguous_place",
                "message": texts.text(
                    "agent", "draft.warnings.ambiguous_place", mention=d.place.mention
                ),
            }
        )
    if t.shape == "unlabelled" and not any(s.role == "agent" for s in t.sentences):
        d.warnings.append(
            {
                "code": "no_speakers",
                "message": texts.text("agent", "draft.warnings.no_speakers"),
            }
        )
