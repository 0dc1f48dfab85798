from __future__ import annotations

import pytest

from bot.nlp.privacy import find_phones, mask_name, mask_phone, mask_phones_in_text, normalise_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("0816-2345678", "*********78"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_mask_in_text_and_find() -> None:
    text = "我是张三，电话13812345678，座机0816-2345678"
    masked = mask_phones_in_text(text)
    assert "13812345678" not in masked and "2345678" not in masked and "138****5678" in masked
    assert find_phones(text) == ["13812345678", "08162345678"]
    assert find_phones("编号HB-20261122-0007") == []


def test_mask_name_and_normalise() -> None:
    assert mask_name("张三丰") == "张**"
    assert normalise_phone("+86 138 1234 5678") == "13812345678"
    assert normalise_phone("12") is None
