"""Data files (YAML) read into checked dataclasses, so a typo fails at start-up with file and line.

`load(path, Schema)` follows the annotations: str, Word, int, float, bool, date, Literal[...],
list[X], dict[str, X], X | Y (the arm of the node's kind: scalar, list or mapping) and dataclasses
(field `from_` reads key `from`). Unknown or missing keys are errors; `__post_init__` adds a
schema's own checks (raise `Invalid`). Numbers pass as text (the cue 12369); a dict key given twice
is warned about and the last wins, as in any YAML loader. Hand-written on the standard library:
both runtimes load these files, and their pydantic majors differ (1 in Rasa's, 2 in the app's).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Literal, NewType, NoReturn, TypeVar, Union, get_args, get_origin

import yaml
from yaml.constructor import SafeConstructor

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: A word of a word list: not empty, no spaces around it (an empty word matches everywhere).
Word = NewType("Word", str)

_TAG = "tag:yaml.org,2002:"
#: Scalar types → (the YAML tags they accept, how an error names them).
_SCALARS: dict[Any, tuple[set[str], str]] = {
    str: ({"str", "int", "float"}, "text"),
    Word: ({"str", "int", "float"}, "a word (not empty, no spaces around)"),
    int: ({"int"}, "a whole number"),
    float: ({"int", "float"}, "a number"),
    bool: ({"bool"}, "true or false"),
    date: ({"timestamp"}, "a date (YYYY-MM-DD)"),
}

#: Every data file's loader, by module: what `check_all` calls.
LOADERS: dict[str, tuple[str, ...]] = {
    "bot.nlp.extraction._data": (
        "times_file",
        "polluters_file",
        "lexicon_file",
        "place_phrases_file",
    ),
    "bot.nlp.transcripts.vocabulary": ("vocabulary",),
    "bot.nlp.scope": ("scope_file",),
    "connectors.wechat_support": ("settings",),
    "bot.casework.catalog": ("categories", "statuses"),
    "bot.casework.sources": ("sources",),
    "bot.intake.tables": ("columns_file",),
    "bot.casework.deadlines": ("calendar", "deadlines_file"),
    "bot.casework.routing": ("responsibility",),
    "bot.casework.duplicates": ("duplicates_file",),
    "bot.casework.evidence": ("evidence_rules",),
    "bot.casework.datums": ("datums_file",),
    "bot.casework.results": ("disclosure_file",),
}


class DataFileError(ValueError):
    """A data file does not fit its schema; the message starts with `file:line: path:`."""


class Invalid(ValueError):
    """`Invalid(message, *key_path)` from a schema's `__post_init__` (path below that object)."""


def load(path: Path, schema: type[T]) -> T:
    """`path` read into `schema` (a dataclass), or DataFileError naming the file, line and key."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        line = exc.problem_mark.line + 1 if getattr(exc, "problem_mark", None) else 1
        raise DataFileError(f"{path.name}:{line}: not valid YAML: {exc}") from None
    if root is None:
        raise DataFileError(f"{path.name}:1: (top): the file is empty")
    return typing.cast(T, _Reader(path.name).read(root, schema, ""))


def check_all() -> list[str]:
    """Loads every data file (a start-up hook), skipping modules this environment cannot import."""
    checked: list[str] = []
    for module_name, functions in LOADERS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            logger.debug("data of %s not checked in this environment: %s", module_name, exc)
            continue
        for function in functions:
            getattr(module, function)()
            checked.append(f"{module_name}.{function}")
    return checked


def _join(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key


def _kind(tp: Any) -> tuple[type[yaml.Node], str]:
    """The node a type is read from, and how an error names it."""
    origin = get_origin(tp) or tp
    if dataclasses.is_dataclass(origin):
        return yaml.MappingNode, f"a mapping ({getattr(origin, '__name__', origin)})"
    if origin is dict or origin is list:
        return (yaml.MappingNode, "a mapping") if origin is dict else (yaml.SequenceNode, "a list")
    return yaml.ScalarNode, _SCALARS[tp][1] if tp in _SCALARS else f"one of {get_args(tp)}"


def _got(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return "nothing" if node.tag == f"{_TAG}null" else repr(node.value)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _child(node: yaml.Node, step: str | int) -> yaml.Node:
    """The node at `step` (a key or a list index) below `node`: where an `Invalid` points."""
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return typing.cast(yaml.Node, node.value[step])
    pairs = node.value if isinstance(node, yaml.MappingNode) else []
    return next((v for k, v in pairs if k.value == str(step)), node)


class _Reader:
    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.constructor = SafeConstructor()

    def fail(self, node: yaml.Node, path: str, message: str) -> NoReturn:
        where = f"{self.file_name}:{node.start_mark.line + 1}: {path or '(top)'}"
        raise DataFileError(f"{where}: {message}")

    def read(self, node: yaml.Node, tp: Any, path: str) -> Any:
        origin, args = get_origin(tp), get_args(tp)
        if origin is Union or origin is types.UnionType:
            if node.tag == f"{_TAG}null" and type(None) in args:
                return None
            arms = [a for a in args if a is not type(None)]
            tp = next((a for a in arms if _kind(a)[0] is type(node)), arms[0])
            origin, args = get_origin(tp), get_args(tp)
        node_type, name = _kind(tp)
        if not isinstance(node, node_type):
            self.fail(node, path, f"expected {name}, got {_got(node)}")
        if dataclasses.is_dataclass(tp):
            return self.object(node, typing.cast(type, tp), path)
        if origin is list:
            return [self.read(v, args[0], _join(path, i)) for i, v in enumerate(node.value)]
        if origin is dict:
            out: dict[Any, Any] = {}
            for k, v in node.value:
                key = self.read(k, args[0], path)
                if key in out:
                    where = f"{self.file_name}:{k.start_mark.line + 1}: {_join(path, key)}"
                    logger.warning("%s: key given twice, the last value wins", where)
                out[key] = self.read(v, args[1], _join(path, key))
            return out
        return self.scalar(node, tp, path, name)

    def scalar(self, node: yaml.Node, tp: Any, path: str, name: str) -> Any:
        literal = get_args(tp) if get_origin(tp) is Literal else ()
        try:
            if node.tag.removeprefix(_TAG) not in ({"str", "int"} if literal else _SCALARS[tp][0]):
                raise ValueError(node.tag)
            text = tp in (str, Word) or node.tag == f"{_TAG}str"
            value = node.value if text else self.constructor.construct_object(node)
            if tp is Word and (not value or value != value.strip()):
                raise ValueError(value)
            if (tp is date and type(value) is not date) or (literal and value not in literal):
                raise ValueError(value)
        except ValueError:  # also a day that does not exist (2025-02-30)
            self.fail(node, path, f"expected {name}, got {_got(node)}")
        return float(value) if tp is float else value

    def object(self, node: yaml.MappingNode, cls: type, path: str) -> Any:
        fields = {f.name.removesuffix("_"): f for f in dataclasses.fields(cls) if f.init}
        hints, values = typing.get_type_hints(cls), {}
        for k, v in node.value:
            if k.value not in fields:
                self.fail(k, _join(path, k.value), f"unknown key; known: {', '.join(fields)}")
            if (f := fields[k.value]).name in values:
                self.fail(k, _join(path, k.value), "key given twice")
            values[f.name] = self.read(v, hints[f.name], _join(path, k.value))
        required = [k for k, f in fields.items() if f.default is f.default_factory]  # no default
        if missing := [key for key in required if fields[key].name not in values]:
            self.fail(node, path, f"missing key {', '.join(missing)}")
        try:
            return cls(**values)
        except Invalid as exc:
            at, (message, *steps) = node, exc.args
            for step in steps:
                at, path = _child(at, step), _join(path, step)
            self.fail(at, path, message)
