"""Hotline call transcripts (12345 / 12369): who said what, the caller's complaint, and the
sentence each draft field came from.

App environment only: the app drafts calls for the hotline channel of the Rasa server, which
asks over HTTP (bot/web/drafts.py), and for the console's 登记 page. Words and cues are data (bot/data/hotline.yml), texts for agents are in
bot/data/texts/agent.yml.

    t = parse(text)                       # speakers, sentences, the caller's complaint
    d = build_draft(t, caller_number=…)   # one extraction pass → fields with their sentences

Modules: `vocabulary` (the data), `parse` (speakers, sentences), `draft` (fields, warnings).
The checks of a transcript, the report form's fields and the draft's wire format are in
bot/calls.py, which the hotline channel (Rasa environment) imports without this package.
"""

from __future__ import annotations

from bot.nlp.transcripts.draft import MAX_DESCRIPTION_CHARS, Draft, DraftField, build_draft
from bot.nlp.transcripts.parse import (
    Role,
    Sentence,
    Shape,
    Transcript,
    Turn,
    clean,
    parse,
)
from bot.nlp.transcripts.vocabulary import DATA_FILE, Vocabulary, vocabulary

__all__ = [
    "DATA_FILE",
    "MAX_DESCRIPTION_CHARS",
    "Draft",
    "DraftField",
    "Role",
    "Sentence",
    "Shape",
    "Transcript",
    "Turn",
    "Vocabulary",
    "build_draft",
    "clean",
    "parse",
    "vocabulary",
]
