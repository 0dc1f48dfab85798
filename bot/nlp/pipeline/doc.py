"""What the pipeline leaves on a `Doc`, and `extract_doc`, the `Extraction` read back from it.

The Doc carries two kinds of result. The spaCy ones (`doc.spans["candidates"]`, `doc.ents`,
`doc.cats`) are what spaCy's own tools (evaluate, displaCy, training) understand. The rules' full
result (`doc._.gw_extraction`) also holds what no span or label can say: the order the rules
ranked places in, the address tail, the candidates of an ambiguous place, negated words. It is
kept as plain JSON-like data, not as the dataclasses, so a Doc still goes through `to_bytes`,
`DocBin(store_user_data=True)` and `nlp.pipe(n_process=2)`; `extract_doc` turns it back into the
`Extraction` that `bot.nlp.extraction.extract` returns for the same text and context.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from bot.nlp.extraction import Extraction, Place
from bot.nlp.extraction.polluters import first_named

#: Entity labels of `doc.ents` and `doc.spans[CANDIDATES]`.
PLACE, POLLUTER, TIME, PHONE = "PLACE", "POLLUTER", "TIME", "PHONE"
ENT_LABELS = (PLACE, POLLUTER, TIME, PHONE)
#: The span group holding every candidate, overlapping ones included.
CANDIDATES = "candidates"
#: The scope label of `doc.cats`: an environmental complaint (ours) or not.
SCOPE = "ENV"

#: One rule candidate, before it becomes a Span: (start char, end char, label, kb_id).
Found = tuple[int, int, str, str]

for _name in ("gw_extraction", "gw_context", "gw_found", "gw_text"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@dataclass(frozen=True)
class Context:
    """The deployment context of one text: a bare 涪城区 is resolved inside this province and
    city. Set on a Doc (`make_doc`) it overrides the places component's configured context, as
    `extract(text, province=…, city=…)` takes it per call."""

    province: str | None = None
    city: str | None = None


@lru_cache(maxsize=1)
def type_labels() -> tuple[str, ...]:
    """The pollution-type labels of `doc.cats`: the lexicon's categories, then its sub-types
    (油烟, 扬尘), read from bot/data/extraction/lexicon.yml so labels and rules cannot drift."""
    from bot.nlp.extraction.lexicon import lexicon

    lex = lexicon()
    return (*lex.categories, *(t for t in lex.parents if t not in lex.categories))


def cat_labels() -> tuple[str, ...]:
    """Every label of `doc.cats`: the pollution types and the scope label."""
    return (*type_labels(), SCOPE)


def make_doc(
    nlp: Language, text: str, *, province: str | None = None, city: str | None = None
) -> Doc:
    """The tokenized Doc of `text` carrying its deployment context, ready for `nlp.pipe`."""
    doc = nlp.make_doc(text)
    set_context(doc, province=province, city=city)
    return doc


def set_context(doc: Doc, *, province: str | None = None, city: str | None = None) -> None:
    """Sets the per-text deployment context (stored as a list: Doc user data must be msgpack)."""
    doc._.gw_context = [province, city]


def context_of(doc: Doc) -> Context | None:
    """The context set on `doc`, or None when the components' configured one applies."""
    raw = doc._.gw_context
    return None if raw is None else Context(raw[0], raw[1])


def extraction_data(doc: Doc) -> dict[str, Any]:
    """The rules' result on `doc`, created empty by the first component that runs."""
    data: dict[str, Any] | None = doc._.gw_extraction
    if data is None:
        data = {}  # field name → value, only the list fields (`extract_doc` derives the rest)
        doc._.gw_extraction = data
    return data


def found(doc: Doc) -> list[Found]:
    """Rule candidates by character offsets, until the entities component makes them Spans
    (it splits jieba words where a rule's boundary falls inside one, so all are made at once)."""
    items: list[Found] | None = doc._.gw_found
    if items is None:
        items = []
        doc._.gw_found = items
    return items


def extract_doc(doc: Doc) -> Extraction:
    """The `Extraction` of a Doc the pipeline has run over: equal to `extract(doc.text, …)` with
    the same context. An empty Extraction when no component has run."""
    data = doc._.gw_extraction or {}
    places = [Place(**p) for p in data.get("places", [])]
    polluters = list(data.get("polluters", []))
    times = list(data.get("times", []))
    return Extraction(
        categories=list(data.get("categories", [])),
        pollution_types=list(data.get("pollution_types", [])),
        phenomena=list(data.get("phenomena", [])),
        negated=list(data.get("negated", [])),
        negated_types=list(data.get("negated_types", [])),
        place=places[0] if places else None,
        places=places,
        polluter=first_named(polluters),
        polluters=polluters,
        time_text=times[0] if times else None,
        times=times,
        phones=list(data.get("phones", [])),
        tickets=list(data.get("tickets", [])),
    )
