"""Data files load through checked schemas: a typo fails with the file, the line and the key."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import pytest

from bot import datafiles
from bot.casework.catalog import CategoriesFile, StatusesFile
from bot.casework.deadlines import DeadlinesFile, HolidaysFile
from bot.casework.duplicates import DuplicatesFile
from bot.casework.results import DisclosureFile
from bot.casework.routing import ResponsibilityFile
from bot.config import PROJECT_ROOT
from bot.datafiles import DataFileError, Word
from bot.nlp.extraction._data import LexiconFile, PlacePhrasesFile, PollutersFile, TimesFile
from bot.nlp.scope import ScopeFile
from bot.nlp.transcripts.vocabulary import HotlineFile
from connectors.wechat_support import WeChatFile

SHIPPED: dict[str, tuple[str, type]] = {
    "categories.yml": ("bot/data/categories.yml", CategoriesFile),
    "statuses.yml": ("bot/data/statuses.yml", StatusesFile),
    "holidays.yml": ("bot/data/holidays.yml", HolidaysFile),
    "deadlines.yml": ("bot/data/deadlines.yml", DeadlinesFile),
    "responsibility.yml": ("bot/data/responsibility.yml", ResponsibilityFile),
    "duplicates.yml": ("bot/data/duplicates.yml", DuplicatesFile),
    "hotline.yml": ("bot/data/hotline.yml", HotlineFile),
    "times.yml": ("bot/data/extraction/times.yml", TimesFile),
    "polluters.yml": ("bot/data/extraction/polluters.yml", PollutersFile),
    "lexicon.yml": ("bot/data/extraction/lexicon.yml", LexiconFile),
    "place_phrases.yml": ("bot/data/extraction/place_phrases.yml", PlacePhrasesFile),
    "wechat.yml": ("connectors/data/wechat.yml", WeChatFile),
    "scope.yml": ("bot/data/scope.yml", ScopeFile),
    "disclosure.yml": ("bot/data/disclosure.yml", DisclosureFile),
}


def test_every_loader_runs_in_the_app_environment() -> None:
    expected = [f"{m}.{f}" for m, functions in datafiles.LOADERS.items() for f in functions]
    assert datafiles.check_all() == expected


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_file_loads(name: str) -> None:
    path, schema = SHIPPED[name]
    assert isinstance(datafiles.load(PROJECT_ROOT / path, schema), schema)


# (file, text replaced, replacement, key path, words of the message, line marker if not the
# replacement's own line)
BROKEN = [
    ("statuses.yml", "closed:      {to: [reopened]}", "closed:      {to: [reopend]}",
     "transitions.closed.to[0]", "unknown status reopend", None),
    ("statuses.yml", "  routed: [department]", "  routed: [departments]",
     "needs.routed[0]", "expected one of", None),
    ("statuses.yml", "{label: 已登记, open: true,", "{label: 已登记, open: maybe,",
     "statuses.received.open", "expected true or false, got 'maybe'", None),
    ("statuses.yml", "reopened:    {label:", "reopened:    {lable:",
     "statuses.reopened.lable", "unknown key", None),
    ("statuses.yml", "open: true,  citizen: 您反映的问题与其他群众的举报是同一问题，已合并办理。}", "open: true}",
     "statuses.merged", "missing key citizen", None),
    ("statuses.yml", "  received:    {label: 已登记", "  recieved:    {label: 已登记",
     "statuses", "status received is missing", "  recieved:"),
    ("categories.yml", "service_code: air-fumes, parent: 大气", "service_code: air-fumes, parent: 气体",
     "categories[1].parent", "not a top category", None),
    ("categories.yml", "service_code: water,", "service_code: air,",
     "categories[3]", "service code air is used twice", None),
    ("holidays.yml", "{from: 2025-04-04, to: 2025-04-06}", "{from: 2025-04-06, to: 2025-04-04}",
     "holidays[2].to", "ends before it starts", None),
    ("holidays.yml", "{from: 2026-01-01, to: 2026-01-03}", "{from: 2026-01-01, til: 2026-01-03}",
     "holidays[6].til", "unknown key", None),
    ("holidays.yml", "  - 2025-01-01", "  - 2025-02-30",
     "holidays[0]", "expected a date", None),
    ("holidays.yml", "  - 2025-01-26", "  - 2025-01-27",
     "workdays[0]", "2025-01-27 is not a weekend day", None),
    ("deadlines.yml", "accept_days: 1 ", "accept_days: 0 ",
     "accept_days", "at least 1 working day", None),
    ("deadlines.yml", "soon_due_days: 2 ", "soon_due_days: two ",
     "soon_due_days", "expected a whole number, got 'two'", None),
    ("deadlines.yml", "  噪声: 10", "  噪音: 10",
     "handle_days.噪音", "噪音 is not a category", None),
    ("responsibility.yml", "categories: [油烟]", "categories: [油雾]",
     "rules[3].categories[0]", "油雾 is not a category", None),
    ("responsibility.yml", "    keywords: [秸秆]", "    keyword: [秸秆]",
     "rules[7].keyword", "unknown key", None),
    ("responsibility.yml", "    department: 林业局", "    department: 林草局",
     "rules[11].department", "not listed in departments", None),
    ("responsibility.yml", "    default: true", "    default: false",
     "rules[13]", "the last rule must be the default", "  - id: default"),
    ("responsibility.yml", "  - id: forests\n", "  - id: forests\n    default: true\n",
     "rules[11]", "only the last rule may be the default", "  - id: forests"),
    ("duplicates.yml", "county_suffixes: [区, 县]", "county_suffixes: []",
     "county_suffixes", "needs at least one word", None),
    ("duplicates.yml", "city_suffix: 市", "city_suffix: ' 市'",
     "city_suffix", "expected a word", None),
    ("times.yml", "trailer: [左右,", "trailer: ['', 左右,",
     "trailer[0]", "expected a word", None),
    ("polluters.yml", "max_len: 24", "max_len: 24.5",
     "max_len", "expected a whole number", None),
    ("polluters.yml", "generic: [厂,", "generic: [[厂],",
     "generic[0]", "expected a word (not empty, no spaces around), got a list", None),
    ("lexicon.yml", '"(?<!海)水(?:都|也|全|已经)?变(?:了)?色"', '"(?<!海)水(?:都|也|全|已经)?变(?:了?色"',
     "patterns[1].re", "not a regular expression", None),
    ("lexicon.yml", "{0,6}(?:休息|睡眠|入睡|作息)\", type: 噪声", "{0,6}(?:休息|睡眠|入睡|作息)\", type: 噪音",
     "patterns[3].type", "噪音 is not a type", None),
    ("lexicon.yml", "  扬尘: 大气", "  扬尘: 空气",
     "parents.扬尘", "空气 is not in `categories`", None),
    ("lexicon.yml", "negation_gap: 3", "negation_gap: -3",
     "negation_gap", "must not be negative", None),
    ("scope.yml", "explains: [噪声, 其他]", "explains: [噪音, 其他]",
     "topics[0].explains", "not a pollution type: 噪音", None),
    ("scope.yml", "patterns: ['(?:弄|整|打)死(?:我", "patterns: ['(?:弄|整|打死(?:我",
     "topics[0].patterns[0]", "not a regular expression", None),
    ("scope.yml", "  - key: wages\n    verdict: elsewhere", "  - key: wages\n    verdict: elswhere",
     "topics[4].verdict", "expected one of", "verdict: elswhere"),
    ("hotline.yml", "(?P<tail>[^是]+)$'", "(?P<rest>[^是]+)$'",
     "patterns.correction_tail", "needs a group (?P<tail>…)", None),
    ("hotline.yml", "'(不用|不需要|不必)匿名|实名'", "'(不用|不需要|不必匿名|实名'",
     "patterns.not_anonymous", "not a regular expression", None),
    ("hotline.yml", "warm_up: 来电人：涪城区青义镇有工厂冒黑烟。", "",
     "(top)", "missing key warm_up", "speakers:"),
    ("wechat.yml", "key: GW_GUIDE}", "key: GW_HELP}",
     "menu.button[2]", "needs a key listed in `clicks`", None),
    ("wechat.yml", "{type: click, name: 我要举报", "{type: clik, name: 我要举报",
     "menu.button[0].type", "expected one of ('click', 'view'), got 'clik'", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new", "key_path", "words", "marker"),
    BROKEN,
    ids=[f"{b[0]}:{b[3]}" for b in BROKEN],
)
def test_a_broken_file_fails_with_file_line_and_key(
    tmp_path: Path, name: str, old: str, new: str, key_path: str, words: str, marker: str | None
) -> None:
    source, schema = SHIPPED[name]
    text = (PROJECT_ROOT / source).read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {source}"
    broken = text.replace(old, new, 1)
    line = broken.count("\n", 0, broken.index(marker) if marker else text.index(old)) + 1
    path = tmp_path / name
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        datafiles.load(path, schema)
    message = str(info.value)
    assert message.startswith(f"{name}:{line}: {key_path}: "), message
    assert words in message


# -- the reader itself, on a small schema ----------------------------------------------------------
@dataclass(frozen=True)
class Span:
    from_: date
    to: date


@dataclass(frozen=True)
class Sample:
    name: str
    count: int
    words: list[Word] = field(default_factory=list)
    ratio: float = 1.0
    kind: Literal["a", "b"] = "a"
    note: str | None = None
    days: list[date | Span] = field(default_factory=list)
    table: dict[str, list[int]] = field(default_factory=dict)


def _load(tmp_path: Path, text: str) -> Sample:
    path = tmp_path / "sample.yml"
    path.write_text(text, encoding="utf-8")
    return datafiles.load(path, Sample)


def test_the_reader_follows_the_annotations(tmp_path: Path) -> None:
    sample = _load(
        tmp_path,
        "name: x\ncount: 3\nwords: [甲, 12369]\nratio: 2\nkind: b\nnote: null\n"
        "days: [2025-01-01, {from: 2025-02-01, to: 2025-02-03}]\ntable: {k: [1, 2]}\n",
    )
    assert sample == Sample(
        name="x",
        count=3,
        words=[Word("甲"), Word("12369")],
        ratio=2.0,
        kind="b",
        note=None,
        days=[date(2025, 1, 1), Span(date(2025, 2, 1), date(2025, 2, 3))],
        table={"k": [1, 2]},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\n", "sample.yml:1: (top): missing key count"),
        ("name: x\ncount: 1\ncolour: red\n", "sample.yml:3: colour: unknown key"),
        ("name: x\ncount: true\n", "sample.yml:2: count: expected a whole number, got 'true'"),
        ("name: x\ncount: 1\ncount: 2\n", "sample.yml:3: count: key given twice"),
        ("name: [x]\ncount: 1\n", "sample.yml:1: name: expected text, got a list"),
        ("name:\ncount: 1\n", "sample.yml:1: name: expected text, got nothing"),
        ("name: x\ncount: 1\nkind: c\n", "sample.yml:3: kind: expected one of ('a', 'b')"),
        ("name: x\ncount: 1\nwords:\n  - a\n  - ''\n", "sample.yml:5: words[1]: expected a word"),
        ("name: x\ncount: 1\ntable: {k: [1, x]}\n", "sample.yml:3: table.k[1]: expected a whole"),
        (
            "name: x\ncount: 1\ndays: [{from: 2025-01-01}]\n",
            "sample.yml:3: days[0]: missing key to",
        ),
        ("name: x\ncount: 1\ndays: [[2025-01-01]]\n", "sample.yml:3: days[0]: expected a date"),
        ("- a\n", "sample.yml:1: (top): expected a mapping (Sample), got a list"),
        ("", "sample.yml:1: (top): the file is empty"),
        ("name: [x\n", "sample.yml:2: not valid YAML"),
    ],
)
def test_the_reader_names_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DataFileError) as info:
        _load(tmp_path, text)
    assert str(info.value).startswith(expected), str(info.value)


def test_a_key_given_twice_in_a_table_warns_and_the_last_wins(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.datafiles"):
        sample = _load(tmp_path, "name: x\ncount: 1\ntable:\n  k: [1]\n  k: [2]\n")
    assert sample.table == {"k": [2]}
    assert "sample.yml:5: table.k: key given twice" in caplog.text
