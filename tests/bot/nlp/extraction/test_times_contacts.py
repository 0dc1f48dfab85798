"""Time expressions, phone numbers and ticket numbers."""

from __future__ import annotations

import pytest

from bot.nlp.extraction import extract
from bot.nlp.extraction.contacts import find_phones, find_tickets
from bot.nlp.extraction.times import find as find_times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("夜间一直有人施工", "夜间"),
        ("凌晨三点左右开始排烟", "凌晨三点左右"),
        ("每天晚上都能闻到臭味", "每天晚上"),
        ("上周五又倒了一车垃圾", "上周五"),
        ("这个厂长期偷排", "长期"),
        ("每天8:00-20:00机器不停", "每天8:00-20:00"),
        ("这个问题存在多年了", "多年"),
        ("昨晚11点多还在打桩", "昨晚11点"),
    ],
)
def test_time_expressions(text: str, expected: str) -> None:
    assert expected in find_times(text)[0]


def test_time_text_on_extraction() -> None:
    assert extract("每天晚上都冒黑烟").time_text == "每天晚上"
    assert extract("河水发黑").time_text is None


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("我的电话13812345678，请回电", ["13812345678"]),
        ("联系我 139 1234 5678", ["13912345678"]),
        ("座机0816-2345678或者手机15912345678", ["08162345678", "15912345678"]),
        ("+86 138-1234-5678", ["13812345678"]),
        ("编号是20231122000712345", []),
        ("100米外有个厂", []),
    ],
)
def test_phones(text: str, phones: list[str]) -> None:
    assert find_phones(text) == phones


@pytest.mark.parametrize(
    ("text", "tickets"),
    [
        ("我的编号HB-20261122-0007查一下", ["HB-20261122-0007"]),
        ("hb-20261122-0012 和 HB202611230003", ["HB-20261122-0012", "HB-20261123-0003"]),
        ("没有编号", []),
    ],
)
def test_tickets(text: str, tickets: list[str]) -> None:
    assert find_tickets(text) == tickets
    assert extract(text).tickets == tickets
