"""Staff corrections as training examples (issue 15: the deployment learns).

A correction is an issue's text with the value staff gave a field after filing (the console's
audited edits of categories, district, town and polluter; bot/casework/training.py reads them).
`correction_doc` turns one into a Doc that `spacy train` reads like the corpora of corpus.py:
- categories → `doc.cats` (the types, their categories, ENV 1.0: staff kept it as ours);
- polluter → the POLLUTER entities where the name is written in the text, no entity when staff
  cleared it, missing entities (nothing learnt) when staff wrote a name the text does not hold;
- district and town are kept on the Doc (`doc._.gw_corrected`), with the issue's province and
  city as the Doc's context (`doc._.gw_context`); train.py learns place phrases from them
  (learnt_places.py) for the places component.
A field staff did not correct stays missing: its label is neither confirmed nor denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from bot.nlp.pipeline.corpus import gold_cats, set_polluter
from bot.nlp.pipeline.doc import set_context

#: The issue fields whose corrections become training examples.
FIELDS = ("categories", "district", "town", "polluter")

if not Doc.has_extension("gw_corrected"):
    Doc.set_extension("gw_corrected", default=None)


def correction_doc(
    nlp: Language,
    text: str,
    fields: Mapping[str, Any],
    *,
    province: str | None = None,
    city: str | None = None,
) -> Doc:
    """One corrected issue as a training Doc (see the module docstring); `province` and `city`
    are the issue's, in which its district and town are names."""
    doc = nlp.make_doc(text)
    if province or city:
        set_context(doc, province=province, city=city)
    if "categories" in fields:
        doc.cats = gold_cats({"pollution_types": list(fields["categories"] or []), "ours": True})
    if "polluter" in fields:
        set_polluter(doc, (fields["polluter"] or "").strip() or None)
    doc._.gw_corrected = {k: fields[k] for k in FIELDS if k in fields}
    return doc


def write(docs: Iterable[Doc], path: Path) -> int:
    """Writes the Docs to a DocBin file (one rename); how many."""
    bin_ = DocBin(store_user_data=True, docs=docs)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(path.name + ".new")
    bin_.to_disk(fresh)
    fresh.replace(path)
    return len(bin_)
