"""The text catalogue: every sentence our code composes for a person, one YAML file per audience.

    text("citizen", "report.ask.location")                → str
    message("citizen", "report.ask.evidence")             → {"text": …, "buttons": […]}
    table("citizen", "wechat.media_names")                → {"image": "图片", …}

Files live in bot/data/texts/: `citizen.yml` (people who report: chat replies, WeChat, status
updates), `agent.yml` (hotline agents), `staff.yml` (the console and operators' tools). Rasa's own
responses stay in domain.yml.

Written with the standard library and PyYAML only, because both runtimes load it (the Rasa
environment has pydantic 1, the app pydantic 2). The files are checked when first loaded: a typo
(a leaf that is not text, a broken `{placeholder}`, a button without a payload) raises
`CatalogueError` naming the file and line, so it fails at start-up rather than in a conversation.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

TEXTS_DIR = Path(__file__).resolve().parent / "data" / "texts"
AUDIENCES: tuple[str, ...] = ("citizen", "agent", "staff")
Audience = Literal["citizen", "agent", "staff"]


class CatalogueError(ValueError):
    """A text catalogue file is malformed, or code asked for a key it does not have."""


@dataclass(frozen=True)
class Entry:
    """One leaf: a text, optionally with buttons (a Rasa message)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    where: str = ""


@dataclass
class Catalogue:
    audience: str
    entries: dict[str, Entry] = field(default_factory=dict)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)


class _Blank(dict[str, Any]):
    """Unknown placeholders render empty: a missing variable must never cost a person the answer."""

    def __missing__(self, key: str) -> str:
        return ""


_FORMATTER = string.Formatter()


def _check_placeholders(text: str, where: str) -> None:
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise CatalogueError(f"{where}: broken placeholder in {text!r}: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or conversion or (spec and not spec.isalnum()):
            raise CatalogueError(f"{where}: placeholder {{{name}}} must be a plain name")


def _plain(node: yaml.Node) -> Any:
    """A composed node back to Python values (for the `table()` view of a section)."""
    if isinstance(node, yaml.MappingNode):
        return {k.value: _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    return node.value


def _walk(node: yaml.Node, prefix: str, path: Path, cat: Catalogue) -> None:
    where = f"{path.name}:{node.start_mark.line + 1}"
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in ("tag:yaml.org,2002:str",):
            raise CatalogueError(f"{where}: {prefix} must be text, not {node.value!r}")
        _check_placeholders(node.value, where)
        cat.entries[prefix] = Entry(text=node.value, where=where)
        return
    if isinstance(node, yaml.SequenceNode):
        raise CatalogueError(f"{where}: {prefix} is a list; a text or a section was expected")
    assert isinstance(node, yaml.MappingNode)
    keys = {k.value: v for k, v in node.value}
    if prefix and "text" in keys and set(keys) <= {"text", "buttons"}:
        text_node = keys["text"]
        if not isinstance(text_node, yaml.ScalarNode):
            raise CatalogueError(f"{where}: {prefix}.text must be text")
        _check_placeholders(text_node.value, where)
        buttons: list[tuple[str, str]] = []
        button_nodes = keys.get("buttons")
        if button_nodes is not None:
            if not isinstance(button_nodes, yaml.SequenceNode):
                raise CatalogueError(f"{where}: {prefix}.buttons must be a list")
            for b in button_nodes.value:
                bw = f"{path.name}:{b.start_mark.line + 1}"
                raw = _plain(b)
                if not isinstance(raw, dict) or not raw.get("title") or not raw.get("payload"):
                    raise CatalogueError(f"{bw}: a button needs a title and a payload")
                buttons.append((str(raw["title"]), str(raw["payload"])))
        cat.entries[prefix] = Entry(text=text_node.value, buttons=tuple(buttons), where=where)
        return
    if prefix:
        cat.sections[prefix] = _plain(node)
    for key_node, value in node.value:
        key = str(key_node.value)
        if not key.replace("_", "a").isalnum():
            raise CatalogueError(f"{path.name}:{key_node.start_mark.line + 1}: bad key {key!r}")
        _walk(value, f"{prefix}.{key}" if prefix else key, path, cat)


def load_catalogue(path: Path, audience: str) -> Catalogue:
    """Parses and checks one catalogue file (also used by the tests on broken files)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path.name}: not valid YAML: {exc}") from None
    cat = Catalogue(audience=audience)
    if root is None:
        return cat
    if not isinstance(root, yaml.MappingNode):
        raise CatalogueError(f"{path.name}:1: the catalogue must be a mapping of sections")
    _walk(root, "", path, cat)
    return cat


@cache
def catalogue(audience: str) -> Catalogue:
    if audience not in AUDIENCES:
        raise CatalogueError(f"unknown audience {audience!r}; one of {', '.join(AUDIENCES)}")
    return load_catalogue(TEXTS_DIR / f"{audience}.yml", audience)


def _entry(audience: str, key: str) -> Entry:
    try:
        return catalogue(audience).entries[key]
    except KeyError:
        raise CatalogueError(f"no text {key!r} in {audience}.yml") from None


def text(audience: Audience, key: str, /, **variables: Any) -> str:
    """The text at `key`, with its {placeholders} filled (unknown ones empty)."""
    return _entry(audience, key).text.format_map(_Blank(variables))


def message(audience: Audience, key: str, /, **variables: Any) -> dict[str, Any]:
    """A Rasa-style message: {"text": …} plus "buttons" [{title, payload}] when the entry has them."""
    entry = _entry(audience, key)
    out: dict[str, Any] = {"text": entry.text.format_map(_Blank(variables))}
    if entry.buttons:
        out["buttons"] = [{"title": t, "payload": p} for t, p in entry.buttons]
    return out


def table(audience: Audience, key: str, /) -> dict[str, Any]:
    """A whole section as plain data (label maps, menus): {"image": "图片", …}."""
    try:
        section = catalogue(audience).sections[key]
    except KeyError:
        raise CatalogueError(f"no section {key!r} in {audience}.yml") from None
    return dict(section) if isinstance(section, Mapping) else section


def check_all() -> None:
    """Loads every catalogue now, so a broken file stops the process at start-up, naming the file
    and line, instead of failing in the middle of someone's conversation."""
    for audience in AUDIENCES:
        catalogue(audience)


def has(audience: str, key: str) -> bool:
    cat = catalogue(audience)
    return key in cat.entries or key in cat.sections
