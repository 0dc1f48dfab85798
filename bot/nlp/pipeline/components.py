"""The pipeline's components: the rule extractors of bot/nlp/extraction as spaCy factories.

Each rule component runs one extractor over the Doc's text, exactly as
`bot.nlp.extraction.pipeline.run` does and in the same order (places need the polluters' spans),
and records two things: its part of the rules' result (`doc._.gw_extraction`, so `extract_doc`
returns what `extract` returns) and its candidates by character offsets. `gw_entities`, last,
turns the candidates into `doc.spans["candidates"]` and chooses `doc.ents`.

The factories are registered by importing this module, which spaCy does through the
`spacy_factories` entry points of pyproject.toml when a saved pipeline names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.scorer import Scorer, get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans

from bot.nlp.extraction import contacts, lexicon, places, polluters, times
from bot.nlp.extraction.text import normalise
from bot.nlp.pipeline import learnt_places
from bot.nlp.pipeline.doc import (
    CANDIDATES,
    PHONE,
    PLACE,
    POLLUTER,
    SCOPE,
    TIME,
    cat_labels,
    context_of,
    extraction_data,
    found,
    type_labels,
)


def _text(doc: Doc) -> str | None:
    """The normalised text the rules read (same length, so offsets hold), None when blank:
    `extract` finds nothing in a blank text, and neither does any component. Kept on the Doc
    until `gw_entities`: `doc.text` is rebuilt from the tokens at every access."""
    norm: str | None = doc._.gw_text
    if norm is None:
        norm = normalise(doc.text)
        doc._.gw_text = norm
    return norm if norm.strip() else None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class _RuleComponent:
    """One rule extractor as a component: finds its part in the normalised text of a Doc that is
    not blank, records it in the rules' result (`data`) and its candidates in `found(doc)`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        norm = _text(doc)
        if norm is not None:
            self.fill(doc, extraction_data(doc), norm)
        return doc

    def fill(self, doc: Doc, data: dict[str, Any], norm: str) -> None:
        raise NotImplementedError


class RuleTypes:
    """Pollution types and phenomena (lexicon.py) → `doc.cats`: 1.0/0.0 per type label (a
    sub-type such as 油烟 sets its category 大气 too, as `Extraction.categories` does), and the
    scope label ENV, 1.0 when any type or phenomenon is found. In the trained pipeline the
    classifier overwrites these and `gw_combine` (combine.py) writes the combined decision."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        data = extraction_data(doc)
        norm = _text(doc)
        if norm is not None:
            hits = lexicon.find(norm)
            data["pollution_types"], data["categories"] = lexicon.types_of(hits)
            data["phenomena"] = _unique(h.word for h in hits if h.counts)
            data["negated"] = _unique(h.word for h in hits if h.negated)
            data["negated_types"] = _unique(h.fine_type for h in hits if h.negated)
        named = {*data.get("pollution_types", ()), *data.get("categories", ())}
        for label in type_labels():
            doc.cats[label] = 1.0 if label in named else 0.0
        doc.cats[SCOPE] = 1.0 if data.get("pollution_types") or data.get("phenomena") else 0.0
        return doc

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        """Multi-label scores over the 12 labels, for `spacy evaluate` and training."""
        return Scorer.score_cats(examples, "cats", labels=cat_labels(), multi_label=True)


class RulePolluters(_RuleComponent):
    """Named polluters (polluters.py), in the rules' order (named sites before described ones)."""

    def fill(self, doc: Doc, data: dict[str, Any], norm: str) -> None:
        hits = polluters.find(norm)
        data["polluters"] = [c.name for c in hits]
        found(doc).extend((c.start, c.end, POLLUTER, "") for c in hits)


class RulePlaces(_RuleComponent):
    """Places (places.py) resolved in the deployment context: the component's `province` and
    `city`, unless the Doc carries its own (`make_doc`). kb_id is the county-level code.

    Below the gazetteer, the places learnt from staff corrections (learnt_places.py: `table`,
    filled by train.py and saved with the pipeline in `learnt_places.json`); the phrases used
    are listed in the rules' result as `learnt_places`."""

    def __init__(self, name: str, province: str | None, city: str | None) -> None:
        super().__init__(name)
        self.province = province
        self.city = city
        self.table = learnt_places.PlaceTable()

    def fill(self, doc: Doc, data: dict[str, Any], norm: str) -> None:
        ctx = context_of(doc)
        province, city = (ctx.province, ctx.city) if ctx else (self.province, self.city)
        spans = found(doc)
        avoid = [(s, e) for s, e, label, _ in spans if label == POLLUTER]
        located = places.locate(norm, province=province, city=city, avoid=avoid)
        if len(self.table):
            words = ((t.idx, t.text) for t in doc)
            located, used = learnt_places.resolve(
                self.table, norm, located, province=province, city=city, words=words
            )
            if used:
                data["learnt_places"] = used
        data["places"] = [asdict(loc.place) for loc in located]
        spans.extend((loc.start, loc.end, PLACE, loc.code or "") for loc in located)

    # the learnt table is saved and loaded with the pipeline
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        self.table.to_disk(Path(path))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RulePlaces:
        self.table = learnt_places.PlaceTable.from_disk(Path(path))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return bytes(srsly.msgpack_dumps(self.table.to_json()))

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> RulePlaces:
        self.table = learnt_places.PlaceTable.from_json(srsly.msgpack_loads(data))
        return self


class RuleTimes(_RuleComponent):
    """Time expressions (times.py): every occurrence a candidate, each text once in the result."""

    def fill(self, doc: Doc, data: dict[str, Any], norm: str) -> None:
        spans = times.find_spans(norm)
        data["times"] = _unique(norm[s:e] for s, e in spans)
        found(doc).extend((s, e, TIME, "") for s, e in spans)


class RulePhones(_RuleComponent):
    """Phone numbers (contacts.py), and ticket numbers, which go into the result only: a ticket
    is a reference to a case, not an entity of the complaint."""

    def fill(self, doc: Doc, data: dict[str, Any], norm: str) -> None:
        spans = contacts.find_phone_spans(norm)
        data["phones"] = _unique(phone for _, _, phone in spans)
        data["tickets"] = contacts.find_tickets(norm)
        found(doc).extend((s, e, PHONE, "") for s, e, _ in spans)


class Entities:
    """Candidates → `doc.spans["candidates"]` (all, overlapping) and `doc.ents` (one reading).

    jieba's words do not always end where a rule's span does (夜间 inside the word 夜间施工,
    三桥镇 inside 三桥镇后), so such words are split first and every span keeps the rules' exact
    characters. `doc.ents` takes places linked to a county-level unit, polluters, times and
    phones; where they overlap the longer wins (江油市宏达化工有限公司 is the polluter, named after
    its place), then the earlier; the place stays among the candidates."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        items = sorted({(s, e, label, kb) for s, e, label, kb in found(doc)})
        doc._.gw_found = doc._.gw_text = None
        spans = [doc.char_span(s, e, label=label, kb_id=kb) for s, e, label, kb in items]
        misaligned = {
            b
            for (s, e, _, _), span in zip(items, spans, strict=True)
            if span is None
            for b in (s, e)
        }
        if misaligned and _split_at(doc, misaligned):
            spans = [doc.char_span(s, e, label=label, kb_id=kb) for s, e, label, kb in items]
        kept: list[Span] = []
        for (start, end, label, kb_id), span in zip(items, spans, strict=True):
            if span is None:  # a boundary inside whitespace: the nearest tokens
                span = doc.char_span(start, end, label, kb_id=kb_id, alignment_mode="expand")
            if span is not None and len(span):
                kept.append(span)
        doc.spans[CANDIDATES] = kept
        linked = [s for s in kept if s.label_ != PLACE or s.kb_id_]
        doc.ents = sorted(filter_spans(linked), key=lambda s: s.start)
        return doc

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        """Entity precision/recall/F per label, for `spacy evaluate` and training."""
        return get_ner_prf(examples)


def _split_at(doc: Doc, bounds: set[int]) -> bool:
    """Splits every token that a character offset in `bounds` falls strictly inside; whether
    any was split."""
    splits: list[tuple[int, list[str]]] = []
    for token in doc:
        lo, hi = token.idx, token.idx + len(token.text)
        inner = sorted(b - lo for b in bounds if lo < b < hi)
        if inner:
            edges = [0, *inner, len(token.text)]
            splits.append((token.i, [token.text[a:b] for a, b in pairwise(edges)]))
    if not splits:
        return False
    with doc.retokenize() as retokenizer:
        for i, pieces in splits:
            token = doc[i]
            # each piece its own head: a rule pipeline has no parse to keep
            retokenizer.split(token, pieces, heads=[(token, k) for k in range(len(pieces))])
    return True


@Language.factory("gw_types", assigns=["doc.cats"], default_score_weights={"cats_macro_f": 1.0})
def make_types(nlp: Language, name: str) -> RuleTypes:
    return RuleTypes(name)


@Language.factory("gw_polluters", assigns=["doc._.gw_extraction", "doc._.gw_found"])
def make_polluters(nlp: Language, name: str) -> RulePolluters:
    return RulePolluters(name)


@Language.factory(
    "gw_places",
    default_config={"province": None, "city": None},
    assigns=["doc._.gw_extraction", "doc._.gw_found"],
)
def make_places(nlp: Language, name: str, province: str | None, city: str | None) -> RulePlaces:
    return RulePlaces(name, province, city)


@Language.factory("gw_times", assigns=["doc._.gw_extraction", "doc._.gw_found"])
def make_times(nlp: Language, name: str) -> RuleTimes:
    return RuleTimes(name)


@Language.factory("gw_phones", assigns=["doc._.gw_extraction", "doc._.gw_found"])
def make_phones(nlp: Language, name: str) -> RulePhones:
    return RulePhones(name)


@Language.factory(
    "gw_entities",
    assigns=["doc.ents", "doc.spans"],
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_entities(nlp: Language, name: str) -> Entities:
    return Entities(name)
