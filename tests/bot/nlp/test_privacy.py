from __future__ import annotations

import re

import pytest

from bot.nlp.privacy import (
    find_phones,
    mask_name,
    mask_phone,
    mask_phones_in_text,
    normalise_phone,
    redact_personal,
)


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


# -- every form a phone number takes in a complaint (issue 18: what is published) --------------------
@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("一三八一一一一零零一零", "0010"),
        ("幺三八幺幺幺幺零零幺幺", "0011"),
        ("一三八 一一一一 零零一二", "0012"),
        ("壹叁捌壹壹壹壹零零壹叁", "0013"),
        ("138一一一一0014", "0014"),
        ("138 - 1111 - 0015", "0015"),
        ("138—1111—0016", "0016"),
        ("138_1111_0017", "0017"),
        ("１３８－１１１１－００１８", "0018"),
        ("＋８６　１３８１１１１００１９", "0019"),
        ("138·1111·0020", "0020"),
        ("1 3 8 1 1 1 1 0 0 2 1", "0021"),
    ],
)
def test_mobile_numbers_in_any_form_are_masked(written: str, digits: str) -> None:
    masked = mask_phones_in_text(f"联系我{written}。")
    assert masked == f"联系我138****{digits}。"


@pytest.mark.parametrize(
    "written", ["零八一六 二三四五六七八", "0816—2345678", "（0816）2345 678", "0816 - 2345678"]
)
def test_landlines_in_any_form_are_masked(written: str) -> None:
    masked = mask_phones_in_text(f"座机{written}。")
    assert "2345" not in masked and "二三四五" not in masked
    assert masked.endswith("78。")


@pytest.mark.parametrize(
    "text",
    [
        "二〇二六年十一月二十二日晚上",
        "一三五号院",
        "有三四家工厂，一二十个烟囱",
        "罚款12345678元",
        "编号HB-20261122-0007",
        "2026.11.22 13:45",
    ],
)
def test_chinese_numerals_that_are_not_phones_stay(text: str) -> None:
    assert mask_phones_in_text(text) == text
    assert redact_personal(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("身份证510702199001011234", "199001011"),
        ("身份证号51070219900101123X", "19900101"),
        ("身份证号51070219900101123x", "19900101"),
        ("证件 510702 1990 0101 1234", "1990 0101"),
        ("老身份证510702900101123", "900101"),
        ("身份证５１０７０２１９９００１０１１２３４", "１９９００１０１"),
    ],
)
def test_id_numbers_are_masked(text: str, secret: str) -> None:
    out = redact_personal(text)
    assert secret not in out
    assert "*" in out


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("电话：2345678", "2345678"),
        ("联系电话 5678901", "5678901"),
        ("微信号 wx_zhang1990", "wx_zhang1990"),
        ("微信：zhangsan88", "zhangsan88"),
        ("QQ 12345678", "12345678"),
        ("邮箱 zhang@example.com", "zhang@example.com"),
        ("TEL:13811110022", "11110022"),
    ],
)
def test_contacts_after_their_cue_are_masked(text: str, secret: str) -> None:
    assert secret not in redact_personal(text)


def test_the_reporters_name_is_removed_wherever_it_is_written() -> None:
    text = "举报人张小明反映：小明家门口的化工厂偷排，张小明多次反映无果。"
    out = redact_personal(text, ["张小明", None, ""])
    assert "张小明" not in out and "小明" not in out
    assert out.count("张**") == 2


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("举报人：李四反映化工厂偷排", "李四"),
        ("姓名 王五，住在厂边", "王五"),
        ("我叫赵六，家住青义镇", "赵六"),
        ("来电人：孙七说夜间施工", "孙七"),
        ("刘先生反映夜间施工", "刘先生"),
        ("据陈女士说", "陈女士"),
    ],
)
def test_names_introduced_in_the_text_are_masked(text: str, secret: str) -> None:
    assert secret not in redact_personal(text)


@pytest.mark.parametrize(
    "written", ["13811110023", "一三八一一一一零零二三", "+86 138-1111-0023", "（0816）2345678"]
)
def test_the_public_gets_no_digit_of_a_phone_number(written: str) -> None:
    out = redact_personal(f"电话{written}，请回电")
    assert not re.search(r"[0-9一二三四五六七八零]", out.replace("电话", "")), out
    assert out.endswith("，请回电")


def test_redaction_keeps_the_complaint_readable() -> None:
    text = "涪城区青义镇某化工厂每天晚上偷排污水，河水发黑，罚款2万元未整改"
    assert redact_personal(text) == text
    assert redact_personal(None) == ""
