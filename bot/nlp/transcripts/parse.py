"""Reading a call transcript: who speaks (labels, or cues when there are none), sentences with
their offsets, and the caller's complaint that extraction reads.

Refuses what cannot be a transcript (`check`) with a reason for the agent in Chinese
(bot/data/texts/agent.yml) and one in English for logs and integrators.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

from bot.nlp.extraction.text import normalise
from bot.nlp.transcripts.vocabulary import patterns, vocabulary

logger = logging.getLogger(__name__)

Role = Literal["agent", "caller", "summary"]
Shape = Literal["labelled", "summary", "unlabelled"]


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
    """Positive when `text` sounds like the agent, negative when like the caller."""
    v = vocabulary()
    agent = sum(1 for c in v.agent_cues if c in text)
    caller = sum(1 for c in v.caller_cues if c in text)
    if v.agent_address in text:
        agent += 1
    if patterns()["first_person"].search(text):
        caller += 1
    return agent - caller


def _split(work: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside work[start:end]: punctuation first; commas, pauses and utterance
    openers for long runs (speech-to-text output often has no punctuation)."""
    p = patterns()
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
    p = patterns()
    out = text.strip()
    for word, plain in v.dialect.items():
        out = out.replace(word, plain)
    for filler in v.inline_fillers:
        out = out.replace(filler, "")
    out = p["fillers"].sub("", out)
    out = p["lead_fillers"].sub("", out)
    return out.strip(" ，,、…")


def _raw_turns(work: str, labels: list[tuple[int, int, str]]) -> list[tuple[int, int, str | None]]:
    """From one label to the next; text before the first label has no speaker."""
    raw_turns: list[tuple[int, int, str | None]] = []
    if labels:
        if work[: labels[0][0]].strip():
            raw_turns.append((0, labels[0][0], None))
        for i, (s, _e, name) in enumerate(labels):
            end = labels[i + 1][0] if i + 1 < len(labels) else len(work)
            raw_turns.append((s, end, name))
    else:
        raw_turns.append((0, len(work), None))
    return raw_turns


def _agent_label(work: str, raw_turns: list[tuple[int, int, str | None]]) -> str | None:
    """Neutral labels (A/B, 说话人1/2): the one that sounds most like an agent is the agent."""
    neutral: dict[str, int] = {}
    first_neutral: str | None = None
    for s, e, label in raw_turns:
        if label and _role_of_label(label) is None:
            neutral[label] = neutral.get(label, 0) + _cue_score(work[s:e])
            first_neutral = first_neutral or label
    if len(neutral) < 2:
        return None
    assert first_neutral is not None
    neutral[first_neutral] += 1  # the agent answers the phone
    return max(neutral, key=lambda k: neutral[k])


def parse(text: str) -> Transcript:
    """Speakers, sentences and the caller's complaint of a checked transcript (see `check`)."""
    p = patterns()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chars = list(text)
    for m in p["timestamp"].finditer(text):
        if p["timestamp"].fullmatch(m.group(0)):
            _blank(chars, m.start(), m.end())
    labels: list[tuple[int, int, str]] = []
    for m in p["label"].finditer(text):
        labels.append((m.start(), m.end(), re.sub(r"\s+", "", m.group("label"))))
        _blank(chars, m.start(), m.end())
    work = "".join(chars)

    raw_turns = _raw_turns(work, labels)
    agent_label = _agent_label(work, raw_turns)

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
    ack = patterns()["acknowledgement"]
    parts: list[str] = []
    pos = 0
    for s in order:
        piece = s.clean.rstrip("，,、 ")
        if not piece or ack.fullmatch(piece):
            continue  # 「对对」「好的」: nothing to extract
        if piece[-1] not in "。！？!?；;":
            piece += "。"
        t.spans.append((pos, pos + len(piece), s.index))
        parts.append(piece)
        pos += len(piece)
    t.complaint = "".join(parts)
