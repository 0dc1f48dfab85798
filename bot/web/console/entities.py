"""What extraction found in a complaint, highlighted for staff: displaCy's entity HTML, rendered
on the server (issue 15).

Each highlighted stretch is labelled with the form field it fills (区县/乡镇, 被举报对象, 时间, 联系方式 …).
displaCy escapes the text it is given; the template replaces its inline styles with classes
(console.css), because the console's pages allow no inline styles a policy might strip and its
colours must pass the contrast checks. The text handed in is already masked for the member
(`citizen_text`): a phone a role may not see is never in the HTML.

    issue_html(text, province, city)   # the issue page: the pipeline's doc.ents
    draft_html(transcript, fields)     # the hotline page: each draft field's value in its sentences
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup
from spacy import displacy

from bot.calls import FIELD_LABELS
from bot.nlp.pipeline import PHONE, PLACE, POLLUTER, TIME, analyse

#: A spaCy entity label → the form field it fills.
FIELD_OF_LABEL = {PLACE: "area", POLLUTER: "polluter", TIME: "time_text", PHONE: "contact"}
#: displaCy's entity template with classes for colours (`label` is one of FIELD_LABELS' values).
TEMPLATE = (
    '<mark class="entity" data-field="{label}">{text}'
    '<span class="entity-label">{label}</span></mark>'
)
Span = tuple[int, int, str]


def render(text: str, spans: Iterable[Span], *, whole: Iterable[Span] = ()) -> Markup:
    """displaCy's HTML of `text` with (start, end, field) spans. displaCy draws no nested
    entities: `spans` (a value where it was said) win over `whole` (a field's whole sentence),
    and within each the shortest, most specific one (a polluter's name inside the description's
    sentence), then the earliest; a span overlapping one already taken is dropped."""
    taken: list[Span] = []
    for group in (spans, whole):
        for span in sorted(group, key=lambda s: (s[1] - s[0], s[0])):
            start, end, _ = span
            if 0 <= start < end <= len(text) and all(end <= a or start >= b for a, b, _ in taken):
                taken.append(span)
    ents = [
        {"start": start, "end": end, "label": FIELD_LABELS.get(name, name)}
        for start, end, name in sorted(taken)
    ]
    html = displacy.render(
        {"text": text, "ents": ents, "title": None},
        style="ent",
        manual=True,
        page=False,
        jupyter=False,
        options={"template": TEMPLATE},
    )
    # displaCy escaped the text; the template is ours.
    return Markup(html)


def issue_html(text: str, province: str | None, city: str | None) -> Markup:
    """The complaint with the pipeline's chosen entities (doc.ents) labelled by field."""
    doc = analyse(text, province, city)
    spans = [
        (e.start_char, e.end_char, FIELD_OF_LABEL[e.label_])
        for e in doc.ents
        if e.label_ in FIELD_OF_LABEL
    ]
    return render(text, spans)


def draft_html(transcript: str, fields: Mapping[str, Any]) -> Markup:
    """A call transcript with each draft field's value where it was said: inside the field's
    source sentences (the channel's `draft`), or the whole sentence when the value is not
    written there word for word (a normalised time, a category)."""
    spans: list[Span] = []
    whole: list[Span] = []
    for name, f in fields.items():
        if not isinstance(f, Mapping):
            continue
        value = f.get("value")
        for src in f.get("sources") or []:
            start, end = src.get("start"), src.get("end")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
                continue
            said = value if isinstance(value, str) else ""
            pos = transcript.find(said, start, end) if said else -1
            if pos >= 0:
                spans.append((pos, pos + len(said), name))
            else:
                whole.append((start, end, name))
    return render(transcript, spans, whole=whole)
