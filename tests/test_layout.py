"""The layout's promises, checked: texts come from the catalogues, every key the code names exists,
few Chinese literals are left in code, and no module grows past 500 lines."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from bot import texts

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("bot", "actions", "connectors", "rasa_ext")
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Extraction rules are patterns for matching Chinese, not sentences people read (issue 13).
PATTERN_DIRS = ("bot/nlp/extraction/",)
LITERAL_BUDGET = 60
MAX_MODULE_LINES = 500
#: Functions of bot.texts whose first two arguments are (audience, key).
CATALOGUE_CALLS = {"text", "message", "table", "has"}


def _modules() -> list[Path]:
    return sorted(p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))


def _docstring_ids(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def chinese_literals() -> Counter[str]:
    """Chinese string literals per module, outside docstrings and the extraction rules."""
    counts: Counter[str] = Counter()
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(PATTERN_DIRS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_ids(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and CJK.search(node.value)
            ):
                counts[rel] += 1
    return counts


def catalogue_keys_in_code() -> list[tuple[str, str, str]]:
    """(where, audience, key) for every call `texts.text("citizen", "a.b")` and the like."""
    found: list[tuple[str, str, str]] = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "bot.texts"
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            is_attr = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "texts"
                and func.attr in CATALOGUE_CALLS
            )
            is_name = isinstance(func, ast.Name) and func.id in imported & CATALOGUE_CALLS
            if not (is_attr or is_name):
                continue
            audience, key = node.args[0], node.args[1]
            if isinstance(audience, ast.Constant) and isinstance(key, ast.Constant):
                where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
                found.append((where, str(audience.value), str(key.value)))
    return found


def test_chinese_literals_in_code_stay_under_budget() -> None:
    counts = chinese_literals()
    total = sum(counts.values())
    assert total < LITERAL_BUDGET, f"{total} Chinese literals in code: {counts.most_common(10)}"


def test_every_catalogue_key_the_code_names_exists() -> None:
    calls = catalogue_keys_in_code()
    assert len(calls) > 20, "the scan found too few calls: is it still looking at the right names?"
    missing = [(w, a, k) for w, a, k in calls if not texts.has(a, k)]
    assert not missing


@pytest.mark.parametrize("audience", texts.AUDIENCES)
def test_each_catalogue_loads(audience: str) -> None:
    assert texts.catalogue(audience).audience == audience


def test_no_module_over_the_size_limit() -> None:
    too_long = {
        p.relative_to(ROOT).as_posix(): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long


@pytest.mark.parametrize(
    ("content", "line", "why"),
    [
        ("a:\n  b: 12\n", 2, "must be text"),
        ("a:\n  b: 好的\n  c: '{name!r}'\n", 3, "plain name"),
        ("a:\n  b: '{未闭合'\n", 2, "broken placeholder"),
        ("a:\n  b:\n    text: 好\n    buttons:\n      - {title: 有}\n", 5, "payload"),
        ("a:\n  - 一\n  - 二\n", 2, "is a list"),
    ],
)
def test_a_broken_catalogue_names_file_and_line(
    tmp_path: Path, content: str, line: int, why: str
) -> None:
    path = tmp_path / "citizen.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(texts.CatalogueError, match=rf"citizen\.yml:{line}: .*{why}"):
        texts.load_catalogue(path, "citizen")


def test_unknown_key_and_unknown_placeholder() -> None:
    with pytest.raises(texts.CatalogueError, match="no text"):
        texts.text("citizen", "no.such.key")
    # a missing variable renders empty rather than costing the citizen the answer
    assert "{" not in texts.text("citizen", "notify.status")
