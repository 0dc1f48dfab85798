"""Polluter names: companies and sites (…有限公司, …厂, …养殖场, …工地, …酒店, a named shop).

A suffix from bot/data/extraction/polluters.yml marks the end of a name; the start is found by
walking back over jieba words until a stop word, clause punctuation or an address word (…村, …路).
Generic words alone (工厂, 养殖场) are not polluters. A name is cut after the last address or
direction word it swallowed (李家沟2组鑫源矿业 → 鑫源矿业, 滨河路西段绵阳宏泰集团 → 绵阳宏泰集团); names
that touch are one name (宏泰集团 + 塑胶公司, 公司 + (老塑料厂)); a name said to be unrelated (和XX
公司无关) is dropped; a described facility (翠湖小区二次供水泵房) counts only when nothing is named.

Names without a suffix are taken where they are introduced: in quotes (“老码头火锅”), after 叫/名叫
(一家叫津丰轧钢的厂, 有个采石场叫顺发石材) or in brackets after a generic word (一家鞋厂（宏发鞋业）); such
a name stands for the generic word next to it. A suffix whose word is a place (经过横店) or that
runs on into a town or village name (木厂 + 口镇) names no polluter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.nlp.extraction import segment
from bot.nlp.extraction._data import polluters_file

_ADDRESS_END = re.compile(r"(?:村|组|社区|街道|镇|乡|路|街|巷|号|栋|楼|旁|边|侧|米|处|门口)$")
#: Address, distance and direction words a walk back may swallow inside one jieba word (组鑫源,
#: 路北宏发): the name starts after the last of them.
_NAME_CUT = re.compile(
    r"(?:村委会|居委会|村里|村|组|社区|路[东南西北]?|街|巷|号|米|公里|[东南西北]{1,2}(?:侧|面|边|段|方向|方|首|头)|"
    r"段|旁边?|对面|附近|隔壁|楼下|楼上|里面|院内|境内|辖区内?)"
)
#: Quantities and indefinites before a name: 三家石材厂, 20多家砖厂, 一养殖场.
_QUANTITY = re.compile(
    r"^(?:[\d一二两三四五六七八九十几多数]+[多余]?[家个座处所台排栋幢片间](?![县市区镇乡村])|多家|几家|一些|一批|"
    r"一(?=[^\d一二三四五六七八九十]))"
)
#: Several of a kind, so no one polluter: 三家石材厂, 20多家砖厂, 很多石场.
_PLURAL = re.compile(
    # (三台县 is a county of 绵阳, not "three machines")
    r"^(?:[\d两三四五六七八九十几多数]+[多余]?[家个座处所台排栋幢片间](?![县市区镇乡村])|好?几[家个]|多家|数家|各家|"
    r"很多|许多|好多|不少)"
)
#: Time phrases a walk back stops at: 近几年镇上酒厂, 去年新开的, 2019年宏达砖厂.
_TIME_WORD = re.compile(
    r"^(?:(?:近|这|那|前|头|后|最近)?[\d一二两三四五六七八九十几]*年(?:来|前|里|间|初|底)?|"
    r"去年|今年|前年|近年来?|往年|当年|早年|以前|之前|现在|目前|如今|当时|后来)$"
)
#: Place words ending in 上 (镇上酒厂, 村上的猪场): where, not part of a name.
_PLACE_ON = re.compile(r"^(?:镇|村|乡|县|市|城|区|路|马路|街|大街|山|坡|河|江|湖|岸|桥|岛|网)上$")
#: Words that introduce an unquoted name: 一家叫津丰轧钢的厂 (叫卖, 叫声 … are verbs, not this).
_INTRO = r"叫做|叫作|名叫|名为|叫(?![卖声喊醒停人苦嚷])"
_INTRO_RE = re.compile(_INTRO)
#: What may stand between 叫 and the name in speech: 叫啥子, 叫什么, 叫个.
_INTRO_FILLER = re.compile(r"(?:啥子|啥|什么|个)(?:来着)?")
#: A word starting with a pronoun ends a walk back: 我开茶铺 is the citizen's own shop, 那排商铺
#: points at a row of shops; neither is part of a name.
_POINTING = re.compile(r"^(?:我|你|他|她|它|咱|您|俺|这|那)")
#: What was read off a sign names who is responsible: 围挡上写的是华翔建设, 门口牌子写着宏达化工,
#: 招牌上印的鑫源石粉厂. The name runs to the clause end and comes before the others found.
_SIGN_RE = re.compile(
    r"(?:围挡|挡板|牌子|招牌|门头|门牌|标牌|公示牌|铭牌|车门|车身)上?(?:面)?"
    r"(?:写的是|写着的是|写着|写的|印的是|印着|印的|喷的是|喷着|喷的)"
)
#: A name never starts with a pronoun (叫我们…) nor holds these characters (it is a clause).
_NOT_NAME_START = re.compile(r"^(?:我|你|他|她|它|咱|您|俺|大家|人家|别人|自己|这|那|什么|啥)")
_NOT_NAME_CHARS = re.compile(
    r"[\d的了着过吗呢吧啊呀很太都也就还又没把被让给到在说]|不(?!锈)|名字|知道|清楚|具体|"
    r"[一二两三四五六七八九十百千万几多数]+[幢栋个家座处所台间排片头只亩条辆吨]"
)
#: Words before 叫 that say a name follows (店名叫…, 名字叫…), besides a suffix word (采石场叫…).
_NAME_WORDS = ("店名", "厂名", "名字", "名称", "招牌", "牌子")
#: Words of a kind a name introduced by 叫 may stand for besides polluter words (叫X的摊位).
_KIND_WORDS = ("摊", "门面", "店面", "档口", "铺子", "厂家", "企业", "单位")
#: A name in brackets after a generic word: 一家鞋厂（泽国宏发鞋业）.
_BRACKETED = re.compile(r"[（(]([\u4e00-\u9fff]{2,12})[）)]")
#: Between a suffix and 镇/乡/村/街道 of a place name it is part of (木厂 + 口镇), not these words.
_PLACE_GAP_STOPS = frozenset("东西南北前后左右上下里外内旁边对")
#: Owners a described facility is named by (翠湖小区二次供水泵房): not a stop before it.
_FACILITY_OWNERS = frozenset({"小区", "大厦", "楼", "宿舍", "公寓", "花园", "广场"})
_FUNCTION_CHARS = "且并而又还就都也把被将让给向从对与和及或在是有的"
_DETERMINERS = re.compile(
    r"^(?:有一家|有一个|有家|有个|一家|这家|那家|该|此|某|这个|那个|一个|附近的?|旁边的?|对面的?|隔壁的?|"
    rf"{_INTRO})+"
)


@dataclass(frozen=True)
class Config:
    suffix_re: re.Pattern[str]
    stop_words: frozenset[str]
    generic: frozenset[str]
    break_chars: str
    max_len: int
    facility: frozenset[str]
    continues_as_place: tuple[str, ...]
    exonerated_after: tuple[str, ...]
    not_names: frozenset[str]
    suffixes: frozenset[str]
    not_places: frozenset[str]
    clause_end_re: re.Pattern[str]  # where a name after 叫 ends at the latest
    kinds: frozenset[str]  # a kind head plus a suffix (食品厂, 串串店): no name (is_bare_kind)


@dataclass(frozen=True)
class Candidate:
    name: str
    start: int
    end: int
    descriptive: bool = False  # a facility described (水泵房, 空调外机), not a company or site
    bare: bool = False  # a word of a kind alone (鞋厂, 化工厂), which a bracketed name replaces


@lru_cache(maxsize=1)
def _config() -> Config:
    raw = polluters_file()
    facility = raw.facility_suffixes
    suffixes = sorted(set(raw.suffixes) | set(facility), key=len, reverse=True)
    return Config(
        suffix_re=re.compile("|".join(re.escape(s) for s in suffixes)),
        stop_words=frozenset(raw.stop_words),
        generic=frozenset(raw.generic),
        break_chars=raw.break_chars,
        max_len=raw.max_len,
        facility=frozenset(facility),
        continues_as_place=tuple(raw.continues_as_place),
        exonerated_after=tuple(raw.exonerated_after),
        not_names=frozenset(raw.not_names),
        suffixes=frozenset(suffixes),
        not_places=frozenset(raw.not_places),
        clause_end_re=re.compile(rf"[{re.escape(raw.break_chars)}（）()]|$"),
        kinds=frozenset(head + suffix for head in raw.kind_heads for suffix in suffixes),
    )


def _token_starts(tokens: list[str]) -> list[int]:
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok)
    return starts


#: A name in quotes: 那家“老码头火锅”, 店名叫「味道江南」.
_QUOTED = re.compile(r"[“「『\"]([^“”「」『』\"，。；;！!？?、：:\n]{2,15})[”」』\"]")
#: Just before a quoted name: what introduces a shop's name (一家“…”, 叫“…”, 楼下的“…”).
_NAME_INTRO = ("家", "叫", "名叫", "名为", "叫做", "店名", "招牌", "一个", "的")
#: Just before quoted speech or a slogan, which is no name (回复说“已整改”, 喇叭喊“半价”).
_SPEECH_INTRO = re.compile(r"(?:说|称|回复|答复|表示|承诺|写着|喊|标语|口号|广告|循环|[：:])$")


def find(text: str) -> list[Candidate]:
    """Named polluters in text order (generic mentions left out)."""
    cfg = _config()
    signed = _signed_names(text, cfg)
    introduced = _quoted_names(text, cfg) + _introduced_names(text, cfg) + signed
    if not introduced and not cfg.suffix_re.search(text):
        return []
    out: list[Candidate] = []
    for clause_match in re.finditer(rf"[^{re.escape(cfg.break_chars)}]+", text):
        clause = clause_match.group(0)
        if not cfg.suffix_re.search(clause):
            continue
        out.extend(_find_in_clause(clause, clause_match.start(), cfg))
    out = [c for c in out if not _is_place_name(c.name)]  # 厦门市 ends like 门市
    introduced += _bracketed_names(text, cfg, out)
    if introduced:
        # An introduced name stands for the generic word next to it: “蜀香园”的火锅店, 叫天福汽修的
        # 修理厂, 采石场叫顺发石材, 鞋厂（宏发鞋业） → the name alone.
        def replaced(c: Candidate) -> bool:
            return any(
                (c.start < q.end and q.start < c.end)
                or 0 <= c.start - q.end <= 2
                or (intro is not None and 0 <= intro - c.end <= 1)
                for q, intro in introduced
            )

        names: list[Candidate] = []
        for q, _ in sorted(introduced, key=lambda qi: qi[0].start):
            if not any(q.start < n.end and n.start < q.end for n in names):
                names.append(q)
        out = sorted([*names, *(c for c in out if not replaced(c))], key=lambda c: c.start)
    out = _merge_touching(text, out)
    out = [c for c in out if not text[c.end : c.end + 5].startswith(cfg.exonerated_after)]
    # A name read off a sign first, then named companies and sites, described facilities last;
    # text order within each.
    on_sign = {(q.start, q.end) for q, _ in signed}
    return sorted(out, key=lambda c: ((c.start, c.end) not in on_sign, c.descriptive))


def _quoted_names(text: str, cfg: Config) -> list[tuple[Candidate, int | None]]:
    """Shop names in quotes, which carry no suffix (“老码头火锅”, 「味道江南」): taken when a word
    that introduces a name stands right before them or a polluter word right after. Each comes
    with where its 叫/名叫 starts (None without one)."""
    out: list[tuple[Candidate, int | None]] = []
    for m in _QUOTED.finditer(text):
        name = m.group(1).strip()
        before = text[max(0, m.start() - 4) : m.start()]
        after = text[m.end() : m.end() + 4]
        if len(name) < 2 or _SPEECH_INTRO.search(before) or _is_place_name(name):
            continue
        introduced = before.endswith(_NAME_INTRO)
        followed = bool(cfg.suffix_re.match(after.lstrip("的")))
        if introduced or followed or _suffix_at_end(name, cfg):
            intro = _INTRO_RE.search(before[-2:])
            intro_start = m.start() - 2 + intro.start() if intro and len(before) >= 2 else None
            out.append((Candidate(name, m.start(1), m.start(1) + len(name)), intro_start))
    return out


def _introduced_names(text: str, cfg: Config) -> list[tuple[Candidate, int | None]]:
    """Unquoted names after 叫/名叫/名为/叫做: 一家叫津丰轧钢的厂 (up to 的 and a polluter word),
    有个采石场叫顺发石材， (after a polluter word, up to the clause end). Each comes with where its
    叫 starts."""
    out: list[tuple[Candidate, int | None]] = []
    for m in _INTRO_RE.finditer(text):
        rest_end = cfg.clause_end_re.search(text, m.end())
        stop = rest_end.start() if rest_end else len(text)
        filler = _INTRO_FILLER.match(text, m.end())  # 叫啥子湖畔山庄: 啥子 is "what", not the name
        begin = filler.end() if filler else m.end()
        rest = text[begin:stop]
        name = None
        de = rest.find("的")
        if de >= 0:
            after = text[m.end() + de + 1 :]
            if cfg.suffix_re.match(after) or after.startswith((*cfg.generic, *_KIND_WORDS)):
                name = rest[:de]
        if name is None:
            # 采石场叫顺发石材; 搞农家乐的，叫湖畔山庄 (the kind, then the name in the next clause)
            before = text[max(0, m.start() - 8) : m.start()].rstrip("，,、 的")
            if _suffix_at_end(before, cfg) or before.endswith(_NAME_WORDS):
                name = rest
        if name is None or not 2 <= len(name) <= 10 or not _looks_like_name(name, cfg):
            continue
        out.append((Candidate(name, begin, begin + len(name)), m.start()))
    return out


def _signed_names(text: str, cfg: Config) -> list[tuple[Candidate, int | None]]:
    """The name after 围挡上写的(是)/牌子上写着 …, up to the clause end."""
    out: list[tuple[Candidate, int | None]] = []
    for m in _SIGN_RE.finditer(text):
        rest_end = cfg.clause_end_re.search(text, m.end())
        stop = rest_end.start() if rest_end else len(text)
        name = text[m.end() : stop].strip()
        if not 2 <= len(name) <= 16 or not _looks_like_name(name, cfg):
            continue
        out.append((Candidate(name, m.end(), m.end() + len(name)), m.start()))
    return out


def _bracketed_names(
    text: str, cfg: Config, found: list[Candidate]
) -> list[tuple[Candidate, int | None]]:
    """A name in brackets right after a word of a kind (一家鞋厂（泽国宏发鞋业）, 一家工厂（…）), which
    it replaces; not after a named site (that is an alias) nor a place (横州市（原横县）)."""
    out: list[tuple[Candidate, int | None]] = []
    for m in _BRACKETED.finditer(text):
        name = m.group(1)
        before = [c for c in found if c.end == m.start()]
        if before:
            if not before[0].bare:
                continue
        else:
            word = _suffix_at_end(text[max(0, m.start() - 8) : m.start()], cfg)
            if word is None or not any(text[: m.start()].endswith(g) for g in (*cfg.generic, word)):
                continue
        core = name[1:] if name[0] in "原现今" else name
        if not _looks_like_name(name, cfg) or _is_place_name(core):
            continue
        out.append((Candidate(name, m.start(1), m.end(1)), m.start()))
    return out


def _looks_like_name(name: str, cfg: Config) -> bool:
    """A shop or company name: not a pronoun, a clause, a number, a place or a generic word."""
    return not (
        _NOT_NAME_START.match(name)
        or _NOT_NAME_CHARS.search(name)
        or name in cfg.stop_words
        or segment.cut(name)[0] in cfg.stop_words  # 养殖场叫村民去开会
        or _is_generic(name, cfg)
        or _is_place_name(name)
    )


def _starts_town(clause: str, pos: int) -> bool:
    """A town's full name starts at `pos` (店上镇 in 潞城区店上镇焦化厂)."""
    from bot.nlp.extraction.gazetteer import gazetteer

    names = gazetteer().names
    pieces = (clause[pos : pos + length] for length in (3, 4, 5))
    return any(
        piece.endswith(("镇", "乡", "街道")) and any(e.strong for e in names.get(piece, ()))
        for piece in pieces
    )


def _is_place_name(name: str) -> bool:
    from bot.nlp.extraction.gazetteer import gazetteer

    return bool(gazetteer().find_by_name(name))


def _merge_touching(text: str, found: list[Candidate]) -> list[Candidate]:
    """宏泰集团 + 塑胶公司 → one name; 塑胶公司 + (老塑料厂) → one name with its alias."""
    out: list[Candidate] = []
    for c in found:
        if out:
            prev = out[-1]
            gap = text[prev.end : c.start]
            if gap in ("", "(", "（") and not c.descriptive:
                joined = text[prev.start : c.end]
                unclosed = joined.count("(") + joined.count("（") > joined.count(
                    ")"
                ) + joined.count("）")
                end = c.end + (1 if unclosed and text[c.end : c.end + 1] in ")）" else 0)
                out[-1] = Candidate(text[prev.start : end], prev.start, end, prev.descriptive)
                continue
        out.append(c)
    return out


def _find_in_clause(clause: str, offset: int, cfg: Config) -> list[Candidate]:
    tokens = segment.cut(clause)
    starts = _token_starts(tokens)
    out: list[Candidate] = []
    taken_until = 0
    for i, tok in enumerate(tokens):
        m = _suffix_at_end(tok, cfg)
        if m is None or tok in cfg.not_names:
            continue
        end = starts[i] + len(tok)
        # Extend over a following suffix token: 宏达化工 + 有限公司.
        j = i
        # (Not over a facility: 瑞丰冷链物流园 + 冷库 is the park's cold store.)
        while (
            j + 1 < len(tokens)
            and _suffix_at_end(tokens[j + 1], cfg) == tokens[j + 1]
            and tokens[j + 1] not in cfg.facility
        ):
            j += 1
            end = starts[j] + len(tokens[j])
        if end <= taken_until:
            continue
        last = tokens[j]
        if last not in cfg.suffixes and last not in cfg.not_places and _is_place_name(last):
            continue  # 经过横店: the town 横店镇, no shop
        if _runs_into_place(tokens, j, cfg) or _starts_town(clause, end - 1):
            continue  # 木厂 + 口镇: the town 木厂口镇; 潞城区店 + 上镇: the town 店上镇
        facility = m in cfg.facility
        start = _walk_back(tokens, starts, i, cfg, floor=taken_until, facility=facility)
        name = _trim(clause[start:end], len(m), cfg)
        start = end - len(name)
        if len(name) > cfg.max_len:
            name = name[-cfg.max_len :]
            start = end - len(name)
        if not name or name in cfg.generic or _is_generic(name, cfg):
            continue
        if clause[end:].startswith(cfg.continues_as_place):
            continue  # 李店村, 石厂路, 兴业建材工业园: part of a place name
        descriptive = m in cfg.facility and _suffix_at_end(name, cfg) in cfg.facility
        bare = name == tok and j == i and not (taken_until and start == taken_until)
        out.append(Candidate(name, offset + start, offset + end, descriptive, bare))
        taken_until = end
    return out


def _runs_into_place(tokens: list[str], j: int, cfg: Config) -> bool:
    """The suffix ending at tokens[j] is inside a town or village name: 1–2 more characters and
    镇/乡/村/街道 follow (木厂/口镇, 石厂/口/村), not a direction or stop word (砖厂/旁/村民)."""
    nxt = tokens[j + 1] if j + 1 < len(tokens) else ""
    m = re.fullmatch(r"(.{1,2}?)(镇|乡|村|街道)", nxt)
    gap = m.group(1) if m else nxt
    if not m and not (j + 2 < len(tokens) and tokens[j + 2] in ("镇", "乡", "村", "街道")):
        return False
    return (
        1 <= len(gap) <= 2
        and gap not in cfg.stop_words
        and not any(ch in _PLACE_GAP_STOPS or ch in _FUNCTION_CHARS for ch in gap)
        and all("\u4e00" <= ch <= "\u9fff" for ch in gap)
    )


def _trim(name: str, suffix_len: int, cfg: Config) -> str:
    """Drops what a walk back swallowed before the name: determiners, quantities, function
    characters, and everything up to the last address or direction word."""
    head = name[: max(0, len(name) - suffix_len)]
    cuts = [m.end() for m in _NAME_CUT.finditer(head) if len(name) - m.end() >= 2]
    if cuts:
        name = name[cuts[-1] :]
    for _ in range(3):
        before = name
        name = _DETERMINERS.sub("", name)
        if _PLURAL.match(name):
            return ""  # 三家石材厂, 20多家砖厂: several, not the one complained about
        name = _QUANTITY.sub("", name)
        name = name.lstrip(_FUNCTION_CHARS)
        if name == before:
            break
    return name


def _suffix_at_end(token: str, cfg: Config) -> str | None:
    for m in cfg.suffix_re.finditer(token):
        if m.end() == len(token):
            return m.group(0)
    return None


def _walk_back(
    tokens: list[str], starts: list[int], i: int, cfg: Config, floor: int, facility: bool = False
) -> int:
    """Start offset of the name whose last word is tokens[i]."""
    start = starts[i]
    k = i - 1
    while k >= 0 and starts[k] >= floor:
        tok = tokens[k]
        if facility and tok in _FACILITY_OWNERS:
            start = starts[k]
            k -= 1
            continue
        if (
            tok in cfg.stop_words
            or tok.isdigit()
            or _ADDRESS_END.search(tok)
            or tok[-1] in "有个是在的"
            or _TIME_WORD.match(tok)
            or _PLACE_ON.match(tok)
            or _POINTING.match(tok)
        ):
            break
        start = starts[k]
        k -= 1
    # The suffix token itself may carry a stop prefix jieba did not split (在砖厂): drop it.
    return start


def _is_generic(name: str, cfg: Config) -> bool:
    """工厂, 小型工厂, 一个养殖场: a suffix alone, or with only size/colour words before it."""
    stem = re.sub(r"^(?:小型|大型|小|大|黑|新|老|无证|非法|违法|私人|个体|无名)+", "", name)
    return stem in cfg.generic or stem == ""


def is_bare_kind(name: str | None) -> bool:
    """食品厂, 火锅店, 屠宰场: a kind of business (polluters.yml `suffixes`, or one of its
    `kind_heads` plus a suffix), not one business with a name (鑫达砖厂, 老李家串串香)."""
    if not name:
        return False
    cfg = _config()
    stem = re.sub(
        r"^(?:那个|这个|一个|一家|那家|这家|有个|有家|小型|大型|小|大|黑|新|老)+", "", name
    )
    if stem in cfg.suffixes or _is_generic(stem, cfg):
        return True
    return stem in cfg.kinds


def first_named(names: list[str]) -> str | None:
    """The polluter of a text: the first with a name, else the first kind (火锅店 … 老李家串串香)."""
    return next((n for n in names if not is_bare_kind(n)), next(iter(names), None))
