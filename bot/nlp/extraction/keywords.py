"""Keywords of a category description (“偷排、黑臭水体、死鱼等”): split at list punctuation and 等.

Open311's services.json lists them so other civic systems can match their own words to ours.
"""

from __future__ import annotations

import re

#: 、，, ；; separate items of a list; 等 ("and so on") ends one.
_SEPARATORS = re.compile(r"[、，,；;]|等")


def description_keywords(description: str) -> list[str]:
    """The items of a listing description, stripped, in order (empty pieces kept out)."""
    return [w for w in (p.strip() for p in _SEPARATORS.split(description)) if w]
