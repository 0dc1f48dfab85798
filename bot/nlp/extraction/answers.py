"""What a short answer to one of the report form's questions says: 不清楚, 匿名, 没有, 继续, a menu word.

The intake (bot/intake) asks one question at a time; these are the word patterns that read the
answers. Kept here with the other matching rules so the intake itself holds no Chinese patterns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

logger = logging.getLogger(__name__)

#: 「不清楚」「我也不知道」「没注意」: the reporter does not know the answer.
_UNKNOWN_RE = re.compile(
    r"^(我)?(也)?(不清楚|不知道|不晓得|不确定|没注意|说不清|没有|没|无|不记得)(是谁|是哪家|具体|啊|呢|哦|了)?[。.!！]*$"
)
#: 「匿名」「不留电话」: the reporter will not leave a phone number.
_ANON_RE = re.compile(r"匿名|不留(电话|联系方式|号码)?|不想留|不方便留|保密")
#: 「没有」「没拍」: a no to 有没有… (evidence, a phone number).
_DENY_RE = re.compile(r"^(没有|没|无|不是|暂时没有|没拍|没有拍|还没有)")
#: 「我要举报一个环境问题，」: the opening words of a first message, before the problem itself.
_TRIGGER_RE = re.compile(
    r"^(你好|您好)?[，,]?(我)?(要|想|想要|需要)?(举报|投诉|反映|曝光|登记)(一下|一个|个)?"
    r"(环境|污染|环境污染)?(问题|情况|事情|事)?[，,。！!]*"
)
#: 「继续」「好的」 after a "system busy" message: not an answer to the question asked before.
_RETRY_RE = re.compile(r"^(继续|重试|再试一次|好的?|确认|可以)[。.!！]*$")
#: What a channel sends the bot for a photo, video, voice note or link (connectors/wechat.py).
_MEDIA_RE = re.compile(r"^\[(图片|视频|语音|链接)\]")
_MEDIA_KINDS: dict[str, str] = {"图片": "image", "视频": "video", "语音": "voice", "链接": "link"}
#: A location pin: 「[位置] <the pin's address label>」, coordinates in the message metadata.
_PIN_RE = re.compile(r"^\[位置\]\s*")
#: 「涪城区那个」「安昌路那边」: the words around a name when picking one of several places.
_CANDIDATE_SPLIT_RE = re.compile(r"[的那个边里,，\s]+")
#: A place that already says it is approximate (「商家村附近」).
_NEAR_SUFFIXES: tuple[str, ...] = ("附近", "一带")
#: Short names of categories in answers to "which category?" (category names themselves come
#: from bot/data/categories.yml; phenomenon words are the lexicon's, read by extraction).
_SHORT_CATEGORY_NAMES: dict[str, str] = {
    "烟": "大气",
    "河": "水",
    "声": "噪声",
    "固体": "固废",
    "其它": "其他",
}


def is_unknown(text: str) -> bool:
    """不清楚 / 不知道 / 没有: the reporter cannot answer."""
    return bool(_UNKNOWN_RE.match(text.strip()))


def declines_contact(text: str) -> bool:
    """匿名 / 不留电话 / 没有: no phone number will come."""
    return bool(_ANON_RE.search(text) or _DENY_RE.match(text))


_NO_MORE_RE = re.compile(
    r"^(?:没有了?|没了|没得了?|莫得了?|就这些|就这个|就这样|就这|就是这些|就是这个|没有别的了?|没有其他的?了?|"
    r"没别的了?|对|对的|是的|是|嗯|好的?|没|无|就这么多)[了啊呀吧哦。！!，,\s]*$"
)


def no_more(text: str) -> bool:
    """没有了 / 就这些 / 对: nothing to add to what was already said."""
    return bool(_NO_MORE_RE.match(text.strip()))


def denies(text: str) -> bool:
    """没有 / 没拍: a no."""
    return bool(_DENY_RE.match(text.strip()))


def is_retry(text: str) -> bool:
    """继续 / 好的: carry on after an interruption, not an answer."""
    return bool(_RETRY_RE.match(text))


def strip_trigger(text: str) -> str:
    """我要举报，XX厂偷排 → XX厂偷排: the part of a first message that describes the problem."""
    return _TRIGGER_RE.sub("", text.strip(), count=1).strip()


def media_kind(text: str) -> str | None:
    """image / video / voice / link when the message is a channel's media marker, else None."""
    m = _MEDIA_RE.match(text)
    return _MEDIA_KINDS[m.group(1)] if m else None


def is_media(text: str) -> bool:
    return bool(_MEDIA_RE.match(text))


def pin_label(text: str) -> str | None:
    """The address label of a location pin message (may be empty), else None."""
    if not _PIN_RE.match(text):
        return None
    return _PIN_RE.sub("", text)


def candidate_words(text: str) -> list[str]:
    """The name parts of an answer that picks one of several places (two characters or more)."""
    return [part for part in _CANDIDATE_SPLIT_RE.split(text.strip()) if len(part) >= 2]


def says_near(place: str) -> bool:
    return place.endswith(_NEAR_SUFFIXES)


def category_named(text: str, names: Iterable[str]) -> str | None:
    """The category an answer names (噪声污染 → 噪声, 固体废物 → 固废): one of `names` or a short
    name, the longest first and then the earliest, so 餐饮油烟 is 油烟 rather than the 烟 in it.

    Phenomenon words (异味, 垃圾) are left to extraction, which knows when they are negated."""
    words = {str(n): str(n) for n in names}
    for short, category in _SHORT_CATEGORY_NAMES.items():
        words.setdefault(short, category)
    hits = [(-len(w), at, c) for w, c in words.items() if (at := text.find(w)) >= 0]
    return min(hits)[2] if hits else None
