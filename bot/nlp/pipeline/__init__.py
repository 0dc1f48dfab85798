"""Extraction as one spaCy pipeline (issue 15), for the app environment only (spaCy 3.8).

`spacy.load("models/extraction")` gives a blank Chinese pipeline segmented by jieba with the
project's dictionary (tokenizer.py) whose components are the rules of bot/nlp/extraction
(components.py). It writes `doc.spans["candidates"]`, `doc.ents` and `doc.cats`, and keeps the
rules' whole result on the Doc, so `extract_doc(doc)` equals `extract(text, …)` (doc.py).
The built pipeline (train.py) adds a trained type/scope classifier and polluter recogniser and
`gw_combine`, rules first with the models filling in; `combined(text, province, city)` is its
`Extraction` (combine.py). Its places component also keeps the place phrases learnt from staff
corrections of district and town (learnt_places.py), below the gazetteer.

The Rasa environment pins spaCy < 3.5 and still imports `bot.nlp.extraction`, which therefore
stays free of spaCy; the import contracts in pyproject.toml keep it so. Built by
`make train-extraction` (build.py); docs/extraction.md has the rest.
"""

from __future__ import annotations

from bot.nlp.pipeline import combine, components, tokenizer
from bot.nlp.pipeline.combine import (
    analyse,
    combined,
    model_says_not_ours,
    model_view,
    read,
    scope_probability,
)
from bot.nlp.pipeline.doc import (
    CANDIDATES,
    ENT_LABELS,
    PHONE,
    PLACE,
    POLLUTER,
    SCOPE,
    TIME,
    Context,
    cat_labels,
    extract_doc,
    make_doc,
    set_context,
    type_labels,
)

__all__ = [
    "CANDIDATES",
    "ENT_LABELS",
    "PHONE",
    "PLACE",
    "POLLUTER",
    "SCOPE",
    "TIME",
    "Context",
    "analyse",
    "cat_labels",
    "combine",
    "combined",
    "components",
    "extract_doc",
    "make_doc",
    "model_says_not_ours",
    "model_view",
    "read",
    "scope_probability",
    "set_context",
    "tokenizer",
    "type_labels",
]
