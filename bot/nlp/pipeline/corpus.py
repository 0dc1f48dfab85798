"""Labelled complaints (the JSONL of bench/data) → spaCy's DocBin, for `spacy evaluate` and
`spacy train` (train.py).

    python -m bot.nlp.pipeline.corpus bench/data/invented-a.jsonl /tmp/a.spacy
    python -m spacy evaluate models/extraction /tmp/a.spacy

The gold labels the sets carry become `doc.cats`: each pollution type (a sub-type such as 油烟
also sets its category 大气, as the pipeline does) and ENV, the scope label, from the line's
`ours` where it has one (the scope corpora of bench/data/train), else 1.0 when it names a type.
The sets label no entity spans (a polluter or a district is a string, not a place in the text),
so `gold_docs` sets none and `spacy evaluate` scores the types only. `training_doc` (what
`spacy train` reads) also marks the polluter: every occurrence of the line's `polluter` string as a
POLLUTER entity, every other token outside one; a line with `polluter: null` has no entity; a line
without the field (the scope corpora) or whose polluter is not written in the text leaves the
entities missing, so the recogniser learns nothing either way from it. A line's deployment context
is not carried: spaCy's evaluation makes its own Docs, which get the pipeline's configured one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from bot.nlp.pipeline.doc import POLLUTER, SCOPE, type_labels


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def gold_cats(row: dict[str, Any]) -> dict[str, float]:
    """The 12 labels of a labelled line, as the pipeline writes them."""
    from bot.nlp.extraction.lexicon import lexicon

    lex = lexicon()
    named = set(row.get("pollution_types") or [])
    named |= {lex.category(t) for t in named}
    cats = {label: 1.0 if label in named else 0.0 for label in type_labels()}
    ours = row["ours"] if "ours" in row else bool(named)
    cats[SCOPE] = 1.0 if ours else 0.0
    return cats


def polluter_spans(text: str, polluter: str) -> list[tuple[int, int]]:
    """Character spans of every occurrence of `polluter` in `text`, left to right, not overlapping."""
    spans: list[tuple[int, int]] = []
    at = text.find(polluter)
    while polluter and at >= 0:
        spans.append((at, at + len(polluter)))
        at = text.find(polluter, at + len(polluter))
    return spans


def set_polluter(doc: Doc, polluter: str | None) -> bool:
    """Marks `polluter` as the Doc's POLLUTER entities (every occurrence; the other tokens outside
    one), or no entity at all when it is None. False, and the entities left missing, when the name
    is not in the text. A span whose edge falls inside a jieba word covers the whole word: the
    recogniser can only ever predict whole tokens."""
    if polluter is None:
        doc.set_ents([], default="outside")
        return True
    spans = [
        doc.char_span(s, e, label=POLLUTER, alignment_mode="expand")
        for s, e in polluter_spans(doc.text, polluter)
    ]
    kept = [s for s in spans if s is not None and len(s)]
    if not kept:
        return False
    doc.set_ents(filter_spans(kept), default="outside")
    return True


def training_doc(nlp: Language, row: dict[str, Any]) -> Doc:
    """One labelled line as `spacy train` reads it: gold cats, and the polluter when the line
    labels one (see the module's docstring)."""
    doc = nlp.make_doc(row["text"])
    doc.cats = gold_cats(row)
    if "polluter" in row:
        set_polluter(doc, row["polluter"] or None)
    return doc


def gold_docs(nlp: Language, rows: Iterable[dict[str, Any]]) -> Iterator[Doc]:
    """Reference Docs: the pipeline's tokenization, the lines' labels in `doc.cats`."""
    for row in rows:
        doc = nlp.make_doc(row["text"])
        doc.cats = gold_cats(row)
        yield doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="labelled JSONL (bench/data)")
    ap.add_argument("out", type=Path, help="the .spacy file to write")
    args = ap.parse_args(argv)
    from bot.nlp.pipeline.build import assemble

    nlp = assemble()
    docs = DocBin(attrs=["ORTH"], docs=gold_docs(nlp, read_jsonl(args.data)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    docs.to_disk(args.out)
    print(f"{len(docs)} labelled docs written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
