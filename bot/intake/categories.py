"""Which categories a report is about: from extraction, a menu number or a category's name.

The names come from bot/data/categories.yml and the numbered menu from the question's buttons in
the citizen catalogue, so neither list is written twice.
"""

from __future__ import annotations

import logging
from functools import cache

from bot import texts
from bot.casework.catalog import categories as known_categories
from bot.casework.catalog import category_by_service_code
from bot.intake.values import MAX_EXTRACT_CHARS
from bot.nlp.extraction import Extraction, extract
from bot.nlp.extraction.answers import category_named

logger = logging.getLogger(__name__)


def other() -> str:
    """The catch-all category (service code `other`), for an answer that names none."""
    found = category_by_service_code("other")
    if found is None:
        raise LookupError("bot/data/categories.yml has no category with service_code other")
    return found.name


@cache
def menu() -> tuple[str, ...]:
    """The numbered menu of the categories question: one category per button, in order."""
    buttons = texts.message("citizen", "ask.categories").get("buttons") or []
    return tuple(named(str(b["payload"])) or other() for b in buttons)


def named(text: str) -> str | None:
    """The known category whose name (or short name: 烟, 河, 固体) the text holds."""
    return category_named(text, known_categories())


def categories_from_answer(text: str, found: list[str]) -> list[str]:
    """The answer to "which category?": a menu number, a category word, or what extraction saw."""
    t = text.strip()
    choices = menu()
    if t.isdigit() and 1 <= int(t) <= len(choices):
        return [choices[int(t) - 1]]
    if found:
        return found
    return [named(t) or other()]


def fine_categories(ex: Extraction) -> list[str]:
    """Categories to file: the fine labels (油烟/扬尘 kept), each a known category."""
    known = known_categories()
    labels = [t for t in ex.pollution_types if t in known] or [
        c for c in ex.categories if c in known
    ]
    # 油烟/扬尘 already imply 大气: don't list 大气 twice unless something else was said.
    return list(dict.fromkeys(labels))


def normalise_categories(values: list[object]) -> list[str]:
    """Known categories for stored answers; a raw answer kept while actions were away is read."""
    known = known_categories()
    out: list[str] = []
    for value in values:
        v = str(value)
        if v in known:
            out.append(v)
        else:
            out.extend(categories_from_answer(v, fine_categories(extract(v[:MAX_EXTRACT_CHARS]))))
    return list(dict.fromkeys(out)) or [other()]
