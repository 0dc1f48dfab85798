"""The extraction pipeline: one pass over a complaint, every extractor, one `Extraction`.

Everything is dictionary and rule based (pure Python + jieba), so the same code runs in the action
server and the Rasa/hotline environment; see docs/extraction.md for why and for the figures.
"""

from __future__ import annotations

import logging

from bot.nlp.extraction import contacts, lexicon, places, polluters, times
from bot.nlp.extraction.text import normalise
from bot.nlp.extraction.types import Extraction

logger = logging.getLogger(__name__)


def run(text: str, *, province: str | None = None, city: str | None = None) -> Extraction:
    """Extracts types, place, polluter, time, phones and tickets; province/city are the
    deployment context (a bare 涪城区 resolves there). Never raises on odd input."""
    norm = normalise(text)
    out = Extraction()
    if not norm.strip():
        return out

    hits = lexicon.find(norm)
    out.pollution_types, out.categories = lexicon.types_of(hits)
    out.phenomena = _unique(h.word for h in hits if h.counts)
    out.negated = _unique(h.word for h in hits if h.negated)
    out.negated_types = _unique(h.fine_type for h in hits if h.negated)

    found = polluters.find(norm)
    out.polluters = [c.name for c in found]
    out.polluter = polluters.first_named(out.polluters)

    all_places = places.find_places(
        norm, province=province, city=city, avoid=[(c.start, c.end) for c in found]
    )
    out.places = all_places
    out.place = all_places[0] if all_places else None

    out.times = times.find(norm)
    out.time_text = out.times[0] if out.times else None
    out.phones = contacts.find_phones(norm)
    out.tickets = contacts.find_tickets(norm)
    logger.debug(
        "extracted types=%s district=%s polluter=%s phones=%d",
        out.categories,
        out.place.district if out.place else None,
        bool(out.polluter),
        len(out.phones),
    )
    return out


def _unique(items: object) -> list[str]:
    out: list[str] = []
    for item in items:  # type: ignore[attr-defined]
        if item not in out:
            out.append(item)
    return out
