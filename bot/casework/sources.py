"""登记来源: the channels staff register reports from (来信, 来访 … 督察交办), from bot/data/sources.yml.

Chat channels (WeChat, web chat, hotline, Open311) record their `channel`; a report entered by
staff (the console's 登记 page, an imported hand-over table) records one of these sources too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

from bot import datafiles
from bot.config import DATA_DIR

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    name: datafiles.Word
    description: str
    #: Hands numbered items over (受理编号, batches): one issue per (source, number).
    handover: bool = False


@dataclass(frozen=True)
class SourcesFile:
    sources: list[Source] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for i, s in enumerate(self.sources):
            if s.name in seen:
                raise datafiles.Invalid(f"{s.name} is listed twice", "sources", i)
            if len(s.name) > 16:
                raise datafiles.Invalid("longer than 16 characters (issues.source)", "sources", i)
            seen.add(s.name)
        if not self.sources:
            raise datafiles.Invalid("no sources", "sources")


@lru_cache(maxsize=1)
def sources() -> dict[str, Source]:
    """The sources by name, in the order the registration form offers them."""
    loaded = datafiles.load(DATA_DIR / "sources.yml", SourcesFile)
    return {s.name: s for s in loaded.sources}


def resolve(text: str | None) -> Source | None:
    """The source named by `text` (surrounding spaces ignored), else None."""
    return sources().get((text or "").strip())
