"""Hotline call transcripts (12345 / 12369): who said what, the caller's complaint, and the
sentence each draft field came from.

Pure Python over `bot.nlp.extraction` and `bot.nlp.privacy` (no Rasa, SQLAlchemy or pydantic), so the
hotline channel in the Rasa server (.venv-rasa) and the app, tests and bench (.venv-app) use the
same code. Words and cues are data: bot/data/hotline.yml.

    t = parse(text)                       # speakers, sentences, the caller's complaint
    d = build_draft(t, caller_number=…)   # one extraction pass → fields with their sentences
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml

from bot import texts
from bot.nlp.extraction import Extraction, Place, extract
from bot.nlp.extraction import lexicon as _lexicon
from bot.nlp.extraction.text import normalise
from bot.nlp.privacy import normalise_phone

logger = logging.getLogger(__name__)

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "hotline.yml"

#: Longest transcript accepted (a 30-minute call is ~8,000 characters of speech-to-text).
MAX_TRANSCRIPT_CHARS = 20_000
#: A transcript needs this many Chinese characters, and this share of its letters, to be read.
MIN_CJK_CHARS = 4
MIN_CJK_SHARE = 0.3
#: Longest description put in the draft; the whole transcript is kept as the original text.
MAX_DESCRIPTION_CHARS = 1000

Role = Literal["agent", "caller", "summary"]
Shape = Literal["labelled", "summary", "unlabelled"]

#: The report form's slots in the order it asks them (domain.yml), as draft field names; also the
#: first of bot.intake.interpret.REPORT_SLOTS. Defined here because connectors import this module in the
#: Rasa environment, where bot.intake.interpret (pydantic 2) cannot be imported.
FIELDS = (
    "description",
    "categories",
    "location",
    "area",
    "time_text",
    "polluter",
    "evidence",
    "contact",
)
FIELD_LABELS = {
    "description": "问题描述",
    "categories": "问题类型",
    "location": "地点",
    "area": "区县/乡镇",
    "time_text": "时间",
    "polluter": "被举报对象",
    "evidence": "证据",
    "contact": "联系方式",
}


class TranscriptError(ValueError):
    """A transcript that cannot be read; `code` for programs, reasons in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.code = code
        self.zh = zh
        self.en = en

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.zh, "message_en": self.en}


# -- data ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    agent_labels: frozenset[str]
    caller_labels: frozenset[str]
    summary_heads: tuple[str, ...]
    agent_cues: tuple[str, ...]
    caller_cues: tuple[str, ...]
    fillers: tuple[str, ...]
    inline_fillers: tuple[str, ...]
    dialect: dict[str, str]
    correction_cues: tuple[str, ...]
    anonymity_cues: tuple[str, ...]
    evidence_yes: tuple[str, ...]
    evidence_no: tuple[str, ...]
    second_problem_cues: tuple[str, ...]
    transfer_topics: dict[str, str]


def _longest_first(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(w) for w in words}, key=len, reverse=True))


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return Vocabulary(
        agent_labels=frozenset(str(x) for x in raw["speakers"]["agent"]),
        caller_labels=frozenset(str(x) for x in raw["speakers"]["caller"]),
        summary_heads=_longest_first(raw["summary_heads"]),
        agent_cues=_longest_first(raw["agent_cues"]),
        caller_cues=_longest_first(raw["caller_cues"]),
        fillers=_longest_first(raw["fillers"]),
        inline_fillers=_longest_first(raw["inline_fillers"]),
        dialect={str(k): str(v) for k, v in raw["dialect"].items()},
        correction_cues=_longest_first(raw["correction_cues"]),
        anonymity_cues=_longest_first(raw["anonymity_cues"]),
        evidence_yes=_longest_first(raw["evidence_yes"]),
        evidence_no=_longest_first(raw["evidence_no"]),
        second_problem_cues=_longest_first(raw["second_problem_cues"]),
        transfer_topics={str(k): str(v) for k, v in raw["transfer_topics"].items()},
    )


@lru_cache(maxsize=1)
def questions() -> dict[str, str]:
    """The report form's question for each field (bot/data/texts/citizen.yml `ask.*`)."""
    return {
        name.removeprefix("ask."): entry.text
        for name, entry in texts.catalogue("citizen").entries.items()
        if name.startswith("ask.")
    }


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    v = vocabulary()
    named = "|".join(re.escape(x) for x in _longest_first(v.agent_labels | v.caller_labels))
    neutral = r"[ABCabc甲乙丙]|说话人\s*\d{1,2}|发言人\s*\d{1,2}|角色\s*\d{1,2}|[Ss]pk\s*\d{1,2}|[Ss]peaker\s*\d{1,2}"
    ts = r"[\[【(（]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\]】)）]?"
    label = rf"(?P<label>{named}|{neutral})(?:[（(][^）)\n]{{1,8}}[）)])?"
    fillers = "|".join(re.escape(x) for x in vocabulary().fillers)
    return {
        "timestamp": re.compile(ts),
        # A speaker label at the start of a line or after a pause/punctuation, then a colon.
        "label": re.compile(
            rf"(?:(?<=^)|(?<=\n)|(?<=[\s。！？!?，,；;]))(?:{ts}\s*)?{label}\s*(?:{ts}\s*)?[：:]",
        ),
        "summary": re.compile(
            r"^\s*(?:工单|备注|小结|摘要|记录)?[：:]?\s*(?:"
            + "|".join(re.escape(h) for h in v.summary_heads)
            + r")\s*[：:，,]?"
        ),
        "sentence": re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*"),
        "clause": re.compile(r"[^，,。！？!?；;\n]+[，,。！？!?；;]*"),
        "words": re.compile(r"\S+"),
        "stt_break": re.compile(
            r"(?=请问|您好|你好|喂|好的|我要|我想|还有|另外|不对|对的|是的|谢谢|感谢|您说|您的|您贵姓|那您)"
        ),
        "fillers": re.compile(
            rf"(?:(?<=^)|(?<=[，,。！？!?；;\s]))(?:{fillers})+(?:[，,、…\s]+|$)"
        ),
        "lead_fillers": re.compile(rf"^(?:(?:{fillers})+[，,、…\s]*|(?:你好|您好)[，,、\s]+)+"),
        "correction_tail": re.compile(
            r"(?:而是|应该是|其实是|准确(?:地)?说是|实际上是|是在|是)(?P<tail>[^是]+)$"
        ),
    }


# -- parsing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    """One speaker's turn; `start`/`end` are offsets in the transcript."""

    index: int
    role: Role
    label: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A sentence as written (labels and timestamps removed) and as extraction reads it."""

    index: int
    text: str
    clean: str
    role: Role
    turn: int
    start: int
    end: int

    def as_source(self) -> dict[str, Any]:
        return {"sentence": self.text, "speaker": self.role, "start": self.start, "end": self.end}


@dataclass
class Transcript:
    text: str
    shape: Shape
    turns: list[Turn]
    sentences: list[Sentence]
    #: The caller's words (and any agent summary), cleaned, one sentence after another.
    complaint: str = ""
    #: (start, end, sentence index) of each sentence inside `complaint`.
    spans: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def caller_sentences(self) -> list[Sentence]:
        return [s for s in self.sentences if s.role in ("caller", "summary")]

    def sentence_at(self, pos: int) -> Sentence | None:
        for start, end, idx in self.spans:
            if start <= pos < end:
                return self.sentences[idx]
        return None

    def find(self, value: str | None) -> Sentence | None:
        """The caller sentence where `value` (a place, polluter, time …) was said first."""
        if not value:
            return None
        for hay in (self.complaint, normalise(self.complaint)):
            pos = hay.find(value)
            if pos >= 0:
                return self.sentence_at(pos)
        return None


def check(text: object) -> str:
    """The transcript as text, or TranscriptError for empty, binary, huge or non-Chinese input."""
    if not isinstance(text, str):
        raise TranscriptError("not_text", "转写内容必须是文本", "transcript must be a string")
    if "\x00" in text or "\ufffd" in text:
        raise TranscriptError(
            "binary", "转写内容像是二进制文件，请粘贴文字", "transcript looks binary"
        )
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    if controls > max(2, len(text) // 100):
        raise TranscriptError(
            "binary",
            "转写内容包含大量控制字符，请粘贴文字",
            "transcript contains control characters",
        )
    stripped = text.strip()
    if not stripped:
        raise TranscriptError("empty", "转写内容为空", "transcript is empty")
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise TranscriptError(
            "too_long",
            f"转写内容共{len(text)}字，超过上限{MAX_TRANSCRIPT_CHARS}字，请只粘贴与本次来电有关的部分",
            f"transcript has {len(text)} characters, more than the limit of {MAX_TRANSCRIPT_CHARS}",
        )
    cjk = sum(1 for ch in stripped if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in stripped if ch.isalpha())
    if cjk < MIN_CJK_CHARS or (letters and cjk / letters < MIN_CJK_SHARE):
        raise TranscriptError(
            "not_chinese", "转写内容不是中文，无法识别举报内容", "transcript is not in Chinese"
        )
    return text


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _role_of_label(label: str) -> Role | None:
    v = vocabulary()
    if label in v.agent_labels:
        return "agent"
    if label in v.caller_labels:
        return "caller"
    return None


def _cue_score(text: str) -> int:
    v = vocabulary()
    agent = sum(1 for c in v.agent_cues if c in text)
    caller = sum(1 for c in v.caller_cues if c in text)
    if "您" in text:
        agent += 1
    if re.search(r"我(们)?(家|村|小区|这|那|住|要|想)", text):
        caller += 1
    return agent - caller


def _split(work: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside work[start:end]: punctuation first; commas, pauses and utterance
    openers for long runs (speech-to-text output often has no punctuation)."""
    p = _patterns()
    out: list[tuple[int, int]] = []
    for m in p["sentence"].finditer(work, start, end):
        pieces = [(m.start(), m.end())]
        if m.end() - m.start() > 80:
            pieces = [(c.start(), c.end()) for c in p["clause"].finditer(work, m.start(), m.end())]
        for s, e in pieces:
            chunk = work[s:e]
            if not re.search(r"[，,。！？!?；;]", chunk) and re.search(r"\S\s+\S", chunk.strip()):
                words = [(w.start() + s, w.end() + s) for w in p["words"].finditer(chunk)]
            else:
                words = [(s, e)]
            for ws, we in words:
                if we - ws > 40 and not re.search(r"[，,。！？!?]", work[ws:we]):
                    cuts = [c.start() for c in p["stt_break"].finditer(work, ws + 1, we)]
                    bounds = [ws, *cuts, we]
                    out.extend((a, b) for a, b in pairwise(bounds) if b > a)
                else:
                    out.append((ws, we))
    return [(s, e) for s, e in out if work[s:e].strip()]


def clean(text: str) -> str:
    """What extraction reads: fillers (嗯, 那个那个) dropped, dialect words (莫得, 闹麻了) in Mandarin."""
    v = vocabulary()
    p = _patterns()
    out = text.strip()
    for word, plain in v.dialect.items():
        out = out.replace(word, plain)
    for filler in v.inline_fillers:
        out = out.replace(filler, "")
    out = p["fillers"].sub("", out)
    out = p["lead_fillers"].sub("", out)
    return out.strip(" ，,、…")


def parse(text: str) -> Transcript:
    """Speakers, sentences and the caller's complaint of a checked transcript (see `check`)."""
    p = _patterns()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chars = list(text)
    for m in p["timestamp"].finditer(text):
        if re.fullmatch(
            r"[\[【(（]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\]】)）]?", m.group(0)
        ):
            _blank(chars, m.start(), m.end())
    labels: list[tuple[int, int, str]] = []
    for m in p["label"].finditer(text):
        labels.append((m.start(), m.end(), re.sub(r"\s+", "", m.group("label"))))
        _blank(chars, m.start(), m.end())
    work = "".join(chars)

    # Turns: from one label to the next; text before the first label has no speaker.
    raw_turns: list[tuple[int, int, str | None]] = []
    if labels:
        if work[: labels[0][0]].strip():
            raw_turns.append((0, labels[0][0], None))
        for i, (s, _e, name) in enumerate(labels):
            end = labels[i + 1][0] if i + 1 < len(labels) else len(work)
            raw_turns.append((s, end, name))
    else:
        raw_turns.append((0, len(work), None))

    # Neutral labels (A/B, 说话人1/2): the one that sounds most like an agent is the agent.
    neutral: dict[str, int] = {}
    first_neutral: str | None = None
    for s, e, label in raw_turns:
        if label and _role_of_label(label) is None:
            neutral[label] = neutral.get(label, 0) + _cue_score(work[s:e])
            first_neutral = first_neutral or label
    agent_label: str | None = None
    if len(neutral) >= 2:
        assert first_neutral is not None
        neutral[first_neutral] += 1  # the agent answers the phone
        agent_label = max(neutral, key=lambda k: neutral[k])

    turns: list[Turn] = []
    sentences: list[Sentence] = []
    shape: Shape = "labelled" if labels else "unlabelled"
    for s, e, label in raw_turns:
        role: Role | None = _role_of_label(label) if label else None
        if label and role is None:
            role = "agent" if label == agent_label else "caller"
        turn = Turn(len(turns), role or "caller", label, s, e)
        turns.append(turn)
        in_summary = False
        for ss, se in _split(work, s, e):
            raw = work[ss:se]
            lead = len(raw) - len(raw.lstrip())
            ss, se = ss + lead, ss + len(raw.rstrip())
            sentence_text = work[ss:se]
            head = p["summary"].match(sentence_text)
            if head:
                in_summary = True
                body = sentence_text[head.end() :]
                ss, sentence_text = ss + head.end() + (len(body) - len(body.lstrip())), body.strip()
                if not sentence_text:
                    continue
            if in_summary:
                srole: Role = "summary"
            elif role is not None:
                srole = role
            else:
                srole = "agent" if _cue_score(sentence_text) > 0 else "caller"
            sentences.append(
                Sentence(
                    len(sentences),
                    sentence_text,
                    clean(sentence_text),
                    srole,
                    turn.index,
                    ss,
                    ss + len(sentence_text),
                )
            )
    if not labels and any(x.role == "summary" for x in sentences):
        shape = "summary"
    transcript = Transcript(text, shape, turns, sentences)
    _build_complaint(transcript)
    return transcript


def _build_complaint(t: Transcript) -> None:
    """Summary sentences first (the agent's note is the most complete), then the caller's words."""
    order = [s for s in t.sentences if s.role == "summary"] + [
        s for s in t.sentences if s.role == "caller"
    ]
    parts: list[str] = []
    pos = 0
    for s in order:
        piece = s.clean.rstrip("，,、 ")
        if not piece or re.fullmatch(
            r"(?:你好|您好|喂|[对是好嗯哦啊行的了吧，,。！？!?\s])*", piece
        ):
            continue  # 「对对」「好的」: nothing to extract
        if piece[-1] not in "。！？!?；;":
            piece += "。"
        t.spans.append((pos, pos + len(piece), s.index))
        parts.append(piece)
        pos += len(piece)
    t.complaint = "".join(parts)


# -- the draft -------------------------------------------------------------------------------------
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

    @property
    def missing(self) -> list[str]:
        return [f for f in FIELDS if f not in self.fields]

    def slot_values(self) -> dict[str, Any]:
        """Plain JSON for the bot (message metadata): what bot.intake.interpret turns into slots."""
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
        }

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
    cue = _has(sentence.clean, v.correction_cues) or ("不是" if "不是" in sentence.clean else None)
    if cue is None:
        return None
    after = sentence.clean[sentence.clean.find(cue) + len(cue) :]
    m = _patterns()["correction_tail"].search(after)
    tail = (m.group("tail") if m else after).strip(" ，,。！？!?；;")
    return tail or None


def _apply_corrections(t: Transcript, d: Draft, province: str | None, city: str | None) -> None:
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
            d.fields["location"] = DraftField(_location_text(place), sources, "来电人更正")
            if place.district or place.town:
                d.fields["area"] = DraftField(place.area_text, sources, "来电人更正")
            else:
                d.fields.pop("area", None)
        if ex.time_text:
            d.fields["time_text"] = DraftField(ex.time_text, sources, "来电人更正")
        if ex.polluter:
            d.fields["polluter"] = DraftField(ex.polluter, sources, "来电人更正")


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
    ex = extract(t.complaint, province=province, city=city)
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
            d.fields["evidence"] = DraftField("无", [s])
            d.has_evidence = False
            break
        if _has(s.clean, v.evidence_yes):
            d.fields["evidence"] = DraftField(_clip(s.clean, 200), [s])
            d.has_evidence = True
            break

    _apply_corrections(t, d, province, city)
    _contact(t, d, caller_number)
    _warnings(t, d)
    if not ex.categories:
        topic = next((k for k in v.transfer_topics if k in t.complaint), None)
        d.transfer = (
            v.transfer_topics[topic]
            if topic
            else "来电未反映生态环境问题（未发现污染现象），请按12345流程转相关部门办理"
        )
    return d


def _one(s: Sentence | None) -> list[Sentence]:
    return [s] if s is not None else []


def _clip(text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _contact(t: Transcript, d: Draft, caller_number: str | None) -> None:
    v = vocabulary()
    for s in t.caller_sentences:
        cue = _has(s.clean, v.anonymity_cues)
        if cue and not re.search(r"(不用|不需要|不必)匿名|实名", s.clean):
            d.anonymous = True
            d.fields["contact"] = DraftField("匿名", [s])
            return
    if d.extraction.phones:
        phone = d.extraction.phones[0]
        d.contact_phone = phone
        d.fields["contact"] = DraftField(phone, _one(t.find(phone)), "来电人提供")
        return
    number = normalise_phone(caller_number)
    if number:
        d.contact_phone = number
        d.fields["contact"] = DraftField(number, [], "来电号码")
    elif caller_number:
        d.warnings.append(
            {"code": "caller_number_invalid", "message": "来电号码无法识别，请向来电人确认联系方式"}
        )


def _warnings(t: Transcript, d: Draft) -> None:
    v = vocabulary()
    ex = d.extraction
    second = next((s for s in t.caller_sentences if _has(s.clean, v.second_problem_cues)), None)
    others = [p for p in ex.polluters if p != (d.fields.get("polluter") or DraftField(None)).value]
    corrected = {s.index for f in d.fields.values() if f.note == "来电人更正" for s in f.sources}
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
        d.warnings.append(
            {
                "code": "multiple_problems",
                "message": "来电可能反映了不止一个问题"
                + (f"（另见：{detail}）" if detail else "")
                + "。本草稿按第一个问题填写，其余问题请另行登记。",
                **({"sentence": second.text} if second is not None else {}),
            }
        )
    if d.place is not None and d.place.candidates:
        d.warnings.append(
            {
                "code": "ambiguous_place",
                "message": f"“{d.place.mention}”在本市有多处，请向来电人确认区县",
            }
        )
    if t.shape == "unlabelled" and not any(s.role == "agent" for s in t.sentences):
        d.warnings.append(
            {"code": "no_speakers", "message": "未识别出说话人，整段按来电人的话处理，请核对"}
        )
