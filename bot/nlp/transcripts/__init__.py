"""Hotline call transcripts (12345 / 12369): who said what, the caller's complaint, and the
sentence each draft field came from.

Pure Python over `bot.nlp.extraction` and `bot.nlp.privacy` (no Rasa, SQLAlchemy or pydantic), so the
hotline channel in the Rasa server (.venv-rasa) and the app, tests and bench (.venv-app) use the
same code. Words and cues are data (bot/data/hotline.yml), texts for agents are in
bot/data/texts/agent.yml.

    t = parse(text)                       # speakers, sentences, the caller's complaint
    d = build_draft(t, caller_number=…)   # one extraction pass → fields with their sentences

Modules: `vocabulary` (the data), `parse` (speakers, sentences), `draft` (fields, warnings),
`fields` (the report form's fields and labels).
"""

from __future__ import annotations

from bot.nlp.transcripts.draft import MAX_DESCRIPTION_CHARS, Draft, DraftField, build_draft
from bot.nlp.transcripts.fields import FIELD_LABELS, FIELDS, questions
from bot.nlp.transcripts.parse import (
    MAX_TRANSCRIPT_CHARS,
    MIN_CJK_CHARS,
    MIN_CJK_SHARE,
    Role,
    Sentence,
    Shape,
    Transcript,
    TranscriptError,
    Turn,
    check,
    clean,
    parse,
)
from bot.nlp.transcripts.vocabulary import DATA_FILE, Vocabulary, vocabulary

__all__ = [
    "DATA_FILE",
    "FIELDS",
    "FIELD_LABELS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_TRANSCRIPT_CHARS",
    "MIN_CJK_CHARS",
    "MIN_CJK_SHARE",
    "Draft",
    "DraftField",
    "Role",
    "Sentence",
    "Shape",
    "Transcript",
    "TranscriptError",
    "Turn",
    "Vocabulary",
    "build_draft",
    "check",
    "clean",
    "parse",
    "questions",
    "vocabulary",
]
