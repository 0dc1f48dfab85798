"""Masking of personal data (举报保护): phone numbers and names never leave unmasked by accident."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Mainland mobile numbers, and landlines with an area code (0816-1234567 / 081612345678).
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")

# For masking, every way people write a number: grouped with spaces, dashes, dots or underscores
# (138 1111 0001, 138-1111-0002, 138.1111.0007, 138 - 1111 - 0003), with the country code (+86,
# 0086, 86), landlines with the area code in brackets or before a space ((0816)2345678,
# 0816 2345678), and in Chinese numerals (一三八一一一一零零零一, 幺三八…). Matched on a copy where
# full-width digits and signs are half-width and Chinese numerals are digits, one character for
# one, so the spans fit the original text.
_SEP = r"[ \-.\u00a0_·—–‐‑]{0,3}"
_MASK_RE = re.compile(
    r"(?<!\d)(?:"
    r"(?:(?:\+|00)?86[ \-]?)?1" + _SEP + r"[3-9](?:" + _SEP + r"\d){9}"
    r"|(?:\(0\d{2,3}\)|0\d{2,3})" + _SEP + r"\d(?:" + _SEP + r"\d){6,7}"
    r")(?!\d)"
)
_HALF_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "＋": "+",
        "－": "-",
        "（": "(",
        "）": ")",
        "　": " ",
        "．": ".",
    }
)
#: Chinese numerals as people say a number digit by digit (幺 for 1, 两 for 2 on the phone).
_CHINESE_DIGITS = str.maketrans(
    {
        **dict.fromkeys("〇零○◯", "0"),
        **dict.fromkeys("一壹幺", "1"),
        **dict.fromkeys("二贰两", "2"),
        **dict.fromkeys("三叁", "3"),
        **dict.fromkeys("四肆", "4"),
        **dict.fromkeys("五伍", "5"),
        **dict.fromkeys("六陆", "6"),
        **dict.fromkeys("七柒", "7"),
        **dict.fromkeys("八捌", "8"),
        **dict.fromkeys("九玖", "9"),
    }
)


def _fold(text: str) -> str:
    """Digits and signs half-width, Chinese numerals as digits: one character for one."""
    return text.translate(_HALF_WIDTH).translate(_CHINESE_DIGITS)


def mask_phone(phone: str | None) -> str:
    """138****5678 style; short or odd numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = normalise_phone(phone) or re.sub(r"\D", "", _fold(phone))
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_name(name: str | None) -> str:
    """张** : the family name stays, the rest is hidden."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phones_in_text(text: str | None) -> str:
    """Masks every phone number inside free text (a complaint often carries the caller's number),
    however it is written: grouped, with a country code, full-width, in Chinese numerals, or with
    the area code in brackets."""
    if not text:
        return ""
    return _replace(text, _fold(text), _MASK_RE, lambda m: mask_phone(m.group(0)))


def _replace(
    text: str, folded: str, pattern: re.Pattern[str], how: Callable[[re.Match[str]], str]
) -> str:
    """Replaces the matches of `pattern` in `folded` (a same-length copy of `text`) in `text`."""
    out: list[str] = []
    last = 0
    for m in pattern.finditer(folded):
        out.append(text[last : m.start()])
        out.append(how(m))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, or None when nothing that looks like a phone number is left."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", _fold(phone))
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if 7 <= len(digits) <= 12 else None


def find_phones(text: str | None) -> list[str]:
    """Phone numbers in free text, normalised to digits, in order of appearance."""
    out: list[str] = []
    for m in _PHONE_RE.finditer(text or ""):
        phone = normalise_phone(m.group(0))
        if phone and phone not in out:
            out.append(phone)
    return out


# -- what is published (公开情况一览表, 曝光台): no personal data at all ------------------------------
#: 身份证号: 18 digits (the last may be X) or the old 15, grouped or not.
_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{6}" + _SEP + r"\d{4}" + _SEP + r"\d{4}" + _SEP + r"\d{3}[\dXx]"
    r"|\d{15})(?![0-9A-Za-z])"
)
#: A contact written after its cue (电话：2345678, 微信号 wx_abc123, QQ 123456): whatever the form,
#: the value is someone's. Bare 7–8 digit landlines without an area code are caught this way.
_CUE_RE = re.compile(
    r"(?P<cue>(?:联系)?电话|手机号?|座机|号码|联系方式|微信号?|[Qq]{2}号?|[Tt][Ee][Ll]|邮箱|e-?mail)"
    r"(?P<gap>[ ：:是为\u00a0]{0,3})(?P<value>[0-9A-Za-z_.@+\-]{5,})"
)
#: A name after the word that introduces it (举报人：张三, 姓名 李四, 我叫王五).
_NAMED_RE = re.compile(
    r"(?P<cue>(?:举报人|投诉人|来电人|来信人|反映人|联系人|当事人|姓名)[ ：:\u00a0]+|我叫|本人叫|名叫)"
    r"(?P<name>[\u4e00-\u9fff]{2,3})"
)
#: 王先生 / 李女士: a family name with a form of address.
_ADDRESSED_RE = re.compile(r"[\u4e00-\u9fff](?=先生|女士|小姐)")


def _stars(written: str) -> str:
    """Every digit (or numeral, or X) of a number written as a star; separators stay."""
    return re.sub(r"[0-9A-Za-z]", "*", _fold(written))


def redact_personal(text: str | None, names: Iterable[str | None] = ()) -> str:
    """Text for the public (公开情况一览表, 曝光台): ID numbers and phone numbers however written
    are starred out entirely (staff views keep 138****5678, the public gets no digit of it),
    contacts after their cue (电话/微信/QQ/邮箱) too; the reporter's `names` (and given names),
    names after 举报人/姓名/我叫, and the family name in 王先生/李女士 are masked.

    Written by hand: no maintained library knows how Chinese complaints write these; it uses the
    same number patterns as `mask_phones_in_text`, which every staff view uses.
    """
    if not text:
        return ""
    text = _replace(text, _fold(text), _ID_RE, lambda m: _stars(m.group(0)))
    text = _replace(text, _fold(text), _MASK_RE, lambda m: _stars(m.group(0)))
    text = _replace(
        text,
        _fold(text),
        _CUE_RE,
        lambda m: m.group("cue") + m.group("gap") + "*" * len(m.group("value")),
    )
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
        given = name[1:]
        if len(given) >= 2:
            text = text.replace(given, "*" * len(given))
    text = _NAMED_RE.sub(lambda m: m.group("cue") + mask_name(m.group("name")), text)
    return _ADDRESSED_RE.sub("*", text)
