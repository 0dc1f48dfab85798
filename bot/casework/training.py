"""Staff corrections for the extraction's training (issue 15): `make export-corrections`.

    python -m bot.casework.training [--out var/corrections.spacy]

A read-only query over the audited field edits (FieldEdit): every issue whose categories,
district, town or polluter staff changed after filing, with its text and the fields' current
values (the last edit's result), the reporter's phone and name masked in the text.
bot/nlp/pipeline/corrections.py turns each into a training Doc (in the issue's province and
city); `make train-extraction` adds the file to the train split when it exists, and learns place
phrases from the district and town corrections (bot/nlp/pipeline/learnt_places.py).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.casework.models import FieldEdit, Issue
from bot.casework.store import CaseStore
from bot.config import PROJECT_ROOT
from bot.nlp.privacy import mask_name, mask_phones_in_text

#: The fields whose staff edits are training labels.
TRAINED_FIELDS = ("categories", "district", "town", "polluter")
DEFAULT_OUT = PROJECT_ROOT / "var" / "corrections.spacy"


@dataclass(frozen=True)
class CorrectedIssue:
    """An issue's text and the values staff gave the corrected fields (only those)."""

    ticket: str
    text: str
    province: str | None
    city: str | None
    fields: dict[str, Any] = field(default_factory=dict)


def corrected_issues(
    store: CaseStore, fields: Sequence[str] = TRAINED_FIELDS
) -> list[CorrectedIssue]:
    """Issues with at least one audited edit of `fields`, oldest first; read only."""
    with store.transaction() as s:
        edited: dict[int, set[str]] = defaultdict(set)
        for issue_id, name in s.execute(
            select(FieldEdit.issue_id, FieldEdit.field).where(FieldEdit.field.in_(list(fields)))
        ):
            edited[issue_id].add(name)
        if not edited:
            return []
        rows = s.execute(
            select(Issue).where(Issue.id.in_(list(edited))).order_by(Issue.id)
        ).scalars()
        out = []
        for issue in rows:
            text = _without_reporter(issue.original_text or issue.phenomenon, issue.reporter_name)
            if not text.strip():
                continue
            values = {name: getattr(issue, name) for name in fields if name in edited[issue.id]}
            if "categories" in values:
                values["categories"] = list(values["categories"] or [])
            out.append(CorrectedIssue(issue.ticket, text, issue.province, issue.city, values))
        return out


def _without_reporter(text: str, name: str | None) -> str:
    """The text for training: the reporter's phone (however written) and name masked, as in
    every view that does not need them; a model learns nothing from them."""
    text = mask_phones_in_text(text)
    return text.replace(name, mask_name(name)) if name else text


def export(store: CaseStore, out: Path) -> int:
    """Writes the corrected issues of `store` as training Docs to `out`; how many."""
    from bot.nlp.pipeline.build import assemble
    from bot.nlp.pipeline.corrections import correction_doc, write

    nlp = assemble()
    docs = (
        correction_doc(nlp, c.text, c.fields, province=c.province, city=c.city)
        for c in corrected_issues(store)
    )
    return write(docs, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the DocBin to write")
    args = ap.parse_args(argv)
    from bot.casework.store import get_store

    n = export(get_store(), args.out)
    print(f"{n} corrected issues exported to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
