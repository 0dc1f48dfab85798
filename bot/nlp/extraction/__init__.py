"""Chinese complaint extraction: places, pollution types, polluters, times, phones, tickets.

`extract(text, province=…, city=…)` is the one entry point the bot, the hotline channel and the
benchmarks use.
"""

from __future__ import annotations

from bot.nlp.extraction.types import Extraction, Place

__all__ = ["Extraction", "Place", "extract"]


def extract(text: str, *, province: str | None = None, city: str | None = None) -> Extraction:
    """Extracts every field it can from `text`; province/city are the deployment context."""
    from bot.nlp.extraction.pipeline import run

    return run(text, province=province, city=city)
