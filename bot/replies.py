"""Reply texts for the custom actions, kept as data in bot/data/replies.yml."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot.config import DATA_DIR


@lru_cache(maxsize=1)
def _replies() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA_DIR / "replies.yml").read_text(encoding="utf-8"))
    return data


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(key: str, **variables: Any) -> dict[str, Any]:
    """The message for a dotted key (e.g. "status.need_phone"): {"text": …, "buttons": […]}.

    Unknown placeholders render empty rather than crash: a missing variable must never cost a
    citizen their answer.
    """
    node: Any = _replies()
    for part in key.split("."):
        node = node[part]
    message: dict[str, Any] = {"text": str(node["text"]).format_map(_Blank(variables))}
    if node.get("buttons"):
        message["buttons"] = [dict(b) for b in node["buttons"]]
    return message
