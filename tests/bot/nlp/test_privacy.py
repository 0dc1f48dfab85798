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


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("13811110000", "0000"),
        ("+86 13811110003", "0003"),
        ("138 1111 0001", "0001"),
        ("138-1111-0002", "0002"),
        ("138.1111.0007", "0007"),
        ("+8613811110003", "0003"),
        ("8613811110004", "0004"),
        ("008613811110005", "0005"),
        ("１３８１１１１０００６", "0006"),
    ],
)
def test_mobile_numbers_are_masked_however_written(written: str, digits: str) -> None:
    masked = mask_phones_in_text(f"我的电话{written}，请回电")
    assert masked == f"我的电话138****{digits}，请回电"


@pytest.mark.parametrize(
    "written", ["0816-2345678", "0816 2345678", "(0816)2345678", "（０８１６）２３４５６７８"]
)
def test_landlines_are_masked_however_written(written: str) -> None:
    masked = mask_phones_in_text(f"座机{written}。")
    assert masked == "座机*********78。"
    assert "2345" not in masked


@pytest.mark.parametrize(
    "text",
    ["编号HB-20261122-0007", "2026年11月22日下午3点", "罚款12345678元", "凌晨2:30到5:00"],
)
def test_things_that_are_not_phones_stay(text: str) -> None:
    assert mask_phones_in_text(text) == text


def test_a_number_after_letters_is_masked_too() -> None:
    assert mask_phones_in_text("TEL13811110008") == "TEL138****0008"


def test_normalise_country_codes_and_full_width() -> None:
    assert normalise_phone("008613811110005") == "13811110005"
    assert normalise_phone("１３８１１１１０００６") == "13811110006"
