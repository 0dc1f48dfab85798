"""A citizen correcting one field of the report summary: 「不对，地点是涪城区青义镇商家村」.

`parse_correction(text)` returns {field: new value} with fields place, time, polluter, type,
contact, description, evidence (one per clause, so one message may correct several); an empty
dict when the text corrects nothing we can tell.
"""

from __future__ import annotations

import re

from bot.nlp.extraction import _data, contacts, lexicon

_LEAD = r"(?:不对|不是|错了|有误|更正|纠正|修改|改一下|补充)?[，,。！!\s]*(?:我说的|应该说)?"
_VERB = r"(?:应该是|应是|其实是|实际是|实际上是|改成|改为|换成|写成|是|为|在|：|:)"

#: Field → words that name it in a correction. Order matters: the first field that matches wins.
_FIELDS: list[tuple[str, str]] = [
    ("place", r"地点|地址|位置|地方|具体位置|发生地"),
    ("time", r"时间|时段|发生时间"),
    (
        "polluter",
        r"被举报的|被举报对象|被投诉的|举报对象|投诉对象|污染源|公司|企业|厂家|单位|商家|工地",
    ),
    ("type", r"类型|污染类型|问题类型|类别|分类"),
    ("contact", r"电话|手机|手机号|联系方式|联系电话|号码"),
    ("evidence", r"证据|照片|图片|视频|录像"),
    ("description", r"问题|情况|具体情况|内容|描述"),
]
_RES = [
    (fld, re.compile(rf"^{_LEAD}(?:{words})(?:名称|名字)?(?:应该)?{_VERB}\s*(?P<value>.+)$"))
    for fld, words in _FIELDS
]
_TRAIL = "，。！!？?；;、 \t\n吧啊呀哦"


_CLAUSES = re.compile(r"[，,；;。]")


def parse_correction(text: str) -> dict[str, str]:
    """{field: corrected value}; e.g. 「类型改成噪声」 → {"type": "噪声"}; several fields when
    each clause corrects one: 「地点是魏城镇，类型改成噪声」 → {"place": …, "type": "噪声"}."""
    whole = _parse_one(text)
    parts = [p for p in _CLAUSES.split(text or "") if p.strip()]
    if len(parts) < 2:
        return whole
    merged: dict[str, str] = {}
    for part in parts:
        for fld, value in _parse_one(part).items():
            merged.setdefault(fld, value)
    return merged if len(merged) >= 2 else whole


def _parse_one(text: str) -> dict[str, str]:
    clean = (text or "").strip()
    for fld, pattern in _RES:
        m = pattern.match(clean)
        if not m:
            continue
        value = m.group("value").strip(_TRAIL)
        value = re.sub(r"^(?:在|是)", "", value).strip(_TRAIL)
        if not value:
            continue
        if fld == "contact":
            phones = contacts.find_phones(value)
            value = phones[0] if phones else value
        elif fld == "type":
            value = _type_name(value)
        return {fld: value}
    # 「电话138…」 without a verb: a bare phone number corrects the contact.
    phones = contacts.find_phones(clean)
    if phones and re.fullmatch(rf"{_LEAD}(?:电话|手机|号码)?\D{{0,4}}[\d\s+-]+[{_TRAIL}]*", clean):
        return {"contact": phones[0]}
    return {}


def _type_name(value: str) -> str:
    """噪声 stays 噪声; 是噪音问题 → 噪声; an unknown word is returned as said."""
    lex = lexicon.lexicon()
    if value in lex.categories or value in lex.parents:
        return value
    for hit in lexicon.find(value):
        if not hit.negated:
            return hit.fine_type
    return value


def last_self_correction(text: str) -> int:
    """Where the text after the writer's last self-correction (说错了, 不对 …; lexicon.yml
    `self_corrections`) starts, else -1: what is said after it replaces what was said before."""
    cut = -1
    for cue in _data.lexicon_file().self_corrections:
        at = text.rfind(cue)
        if at >= 0 and not text.startswith("不对劲", at):
            cut = max(cut, at + len(cue))
    return cut
