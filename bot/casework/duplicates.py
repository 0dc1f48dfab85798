"""Duplicate reports and hot spots (重复举报).

A new issue is compared with open issues of the same category filed within a time window: the
same polluter, the same normalised address, or coordinates within a distance count as "likely the
same problem". Matches are only *suggested* (DuplicateLink, state `suggested`): staff confirm
(and merge) or reject, because two complaints about one street can still be two problems.
A place or polluter reported `hotspot_threshold` times in the window is flagged as a hot spot.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import datafiles, texts
from bot.casework.catalog import statuses
from bot.casework.models import DuplicateLink, Issue
from bot.config import DATA_DIR

logger = logging.getLogger(__name__)

#: How many recent candidate issues are compared in Python (the SQL filter narrows first).
MAX_CANDIDATES = 500

_NOISE = re.compile(r"[\s,，.。;；:：、()（）\[\]【】\"'“”‘’#＃\-—_/]+")


@dataclass(frozen=True)
class _Patterns:
    company_suffix: re.Pattern[str]
    near: re.Pattern[str]
    leading_admin: re.Pattern[str]
    leading_county: re.Pattern[str]


@dataclass(frozen=True)
class DuplicatesFile:
    """bot/data/duplicates.yml: every list has words (an empty one would match everything)."""

    company_suffixes: list[datafiles.Word]
    near_words: list[datafiles.Word]
    province_suffix: datafiles.Word
    city_suffix: datafiles.Word
    county_suffixes: list[datafiles.Word]

    def __post_init__(self) -> None:
        for key in ("company_suffixes", "near_words", "county_suffixes"):
            if not getattr(self, key):
                raise datafiles.Invalid("needs at least one word", key)


@lru_cache(maxsize=1)
def duplicates_file() -> DuplicatesFile:
    return datafiles.load(DATA_DIR / "duplicates.yml", DuplicatesFile)


def _either(words: list[datafiles.Word]) -> str:
    return "(" + "|".join(re.escape(w) for w in words) + ")"


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    """The word lists of bot/data/duplicates.yml as the expressions the normalisers use."""
    words = duplicates_file()
    province, city = re.escape(words.province_suffix), re.escape(words.city_suffix)
    return _Patterns(
        company_suffix=re.compile(_either(words.company_suffixes) + "$"),
        near=re.compile(_either(words.near_words) + "+$"),
        leading_admin=re.compile(f"^(.{{2,8}}?{province})?(.{{2,8}}?{city})?"),
        leading_county=re.compile("^.{2,6}?" + _either(words.county_suffixes)),
    )


@dataclass(frozen=True)
class DupKey:
    """What two issues are compared on, already normalised."""

    polluter: str
    address: str
    latitude: float | None = None
    longitude: float | None = None


def normalise_polluter(name: str | None) -> str:
    """绵阳市鑫达砖厂有限公司 → 鑫达砖厂: city prefix, company suffix and punctuation dropped."""
    if not name:
        return ""
    pat = _patterns()
    text = _NOISE.sub("", name)
    text = pat.leading_admin.sub("", text, count=1)
    text = pat.leading_county.sub("", text) if len(text) > 6 else text
    prev = None
    while prev != text:
        prev = text
        text = pat.company_suffix.sub("", text)
    return text if len(text) >= 2 else ""


def normalise_address(*parts: str | None) -> str:
    """District + town + address as one comparable string: no province/city, no 附近, no spaces."""
    pat = _patterns()
    text = _NOISE.sub("", "".join(p for p in parts if p))
    text = pat.leading_admin.sub("", text, count=1)
    text = pat.near.sub("", text)
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return text if len(text) >= 4 else ""


def key_of(issue: Issue) -> DupKey:
    return DupKey(
        polluter=normalise_polluter(issue.polluter),
        address=normalise_address(issue.district, issue.town, issue.address),
        latitude=issue.latitude,
        longitude=issue.longitude,
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): enough for 'a few hundred metres apart'."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def match(a: DupKey, b: DupKey, *, max_distance_m: float) -> tuple[str, float] | None:
    """(reason in Chinese, score 0–1) when `a` and `b` look like one problem, else None."""
    if a.polluter and a.polluter == b.polluter:
        return texts.text("staff", "casework.duplicates.same_polluter", polluter=a.polluter), 0.9
    if a.address and a.address == b.address:
        return texts.text("staff", "casework.duplicates.same_address", address=a.address), 0.8
    if None not in (a.latitude, a.longitude, b.latitude, b.longitude):
        assert a.latitude is not None and a.longitude is not None
        assert b.latitude is not None and b.longitude is not None
        d = distance_m(a.latitude, a.longitude, b.latitude, b.longitude)
        if d <= max_distance_m:
            reason = texts.text("staff", "casework.duplicates.nearby", metres=f"{d:.0f}")
            return reason, round(0.7 * (1 - d / (2 * max_distance_m)) + 0.2, 2)
    return None


def _open_codes() -> list[str]:
    return [code for code, s in statuses().items() if s.open and code != "merged"]


def detect(
    session: Session,
    issue: Issue,
    *,
    now: datetime,
    window_days: int,
    max_distance_m: float,
    hotspot_threshold: int,
) -> list[DuplicateLink]:
    """Links `issue` to likely duplicates among recent open issues; flags hot spots. No commit."""
    if not issue.categories:
        return []
    since = now - timedelta(days=window_days)
    mine = key_of(issue)
    candidates = (
        session.execute(
            select(Issue)
            .where(
                Issue.id != issue.id,
                Issue.created_at >= since,
                Issue.merged_into_id.is_(None),
                or_(*(Issue.category_tags.like(f"%|{c}|%") for c in issue.categories)),
                *(
                    [or_(Issue.district == issue.district, Issue.district.is_(None))]
                    if issue.district
                    else []
                ),
            )
            .order_by(Issue.created_at.desc())
            .limit(MAX_CANDIDATES)
        )
        .scalars()
        .all()
    )
    open_codes = set(_open_codes())
    links: list[DuplicateLink] = []
    same_place: list[Issue] = []
    for other in candidates:
        found = match(mine, key_of(other), max_distance_m=max_distance_m)
        if found is None:
            continue
        same_place.append(other)
        if other.status not in open_codes:
            continue
        reason, score = found
        link = DuplicateLink(
            issue_id=issue.id, other_id=other.id, reason=reason, score=score, created_at=now
        )
        session.add(link)
        links.append(link)
        other.duplicate_count = (other.duplicate_count or 0) + 1
    issue.duplicate_count = len(links)
    if len(same_place) + 1 >= hotspot_threshold:
        issue.hotspot = True
        for other in same_place:
            other.hotspot = True
    if links:
        logger.info("issue %s: %d likely duplicate(s)", issue.ticket, len(links))
    return links
