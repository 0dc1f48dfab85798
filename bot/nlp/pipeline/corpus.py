"""Labelled complaints (the JSONL of bench/data) → spaCy's DocBin, for `spacy evaluate` and, in
the next step of issue 15, `spacy train`.

    python -m bot.nlp.pipeline.corpus bench/data/invented-a.jsonl /tmp/a.spacy
    python -m spacy evaluate models/extraction /tmp/a.spacy

The gold labels the sets carry become `doc.cats`: each pollution type (a sub-type such as 油烟
also sets its category 大气, as the pipeline does) and ENV, the scope label, from the line's
`ours` where it has one (the scope corpora of bench/data/train), else 1.0 when it names a type.
The sets label no entity spans (a polluter or a district is a string, not a place in the text),
so the DocBin holds none and `spacy evaluate` scores the types only. A line's deployment context
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

from bot.nlp.pipeline.doc import SCOPE, type_labels


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
