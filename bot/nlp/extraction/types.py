"""What extraction returns: plain dataclasses, shared by the bot, the hotline channel and bench/."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Place:
    """An administrative area resolved from a mention, plus the detailed address as the reporter gave it."""

    province: str | None = None
    city: str | None = None
    district: str | None = None  # 区/县/县级市
    town: str | None = None  # 乡/镇/街道
    address: str | None = None  # 村/组/路/号/小区/landmark text, as given
    mention: str | None = None  # the text span the area was resolved from
    #: When a name is ambiguous (two 新华镇 in one province): the candidate areas, e.g.
    #: ["四川省绵阳市涪城区新华镇", "四川省绵阳市江油市新华镇"]; district/town then stay None.
    candidates: list[str] = field(default_factory=list)

    @property
    def area_text(self) -> str:
        return "".join(p for p in (self.province, self.city, self.district, self.town) if p)

    @property
    def is_ambiguous(self) -> bool:
        return bool(self.candidates)


@dataclass
class Extraction:
    """Everything found in one text. Empty lists / None mean "not said"."""

    #: Category-level types (大气 水 噪声 土壤 固废 生态 辐射 海洋 其他); 油烟/扬尘 add 大气 here.
    categories: list[str] = field(default_factory=list)
    #: Fine labels as in the dataset: may contain 油烟 and 扬尘 instead of/as well as 大气.
    pollution_types: list[str] = field(default_factory=list)
    #: Phenomenon words found (偷排, 黑烟, 异味 …), in text order, negated ones excluded.
    phenomena: list[str] = field(default_factory=list)
    #: Phenomenon words that were negated (没有异味 → 异味).
    negated: list[str] = field(default_factory=list)
    #: The fine types of the negated words (「不是油烟」 → 油烟): a correction of the type.
    negated_types: list[str] = field(default_factory=list)
    place: Place | None = None
    #: Every place named, the primary one (`place`) first: 「从涪城区搬到游仙区」 names two.
    places: list[Place] = field(default_factory=list)
    polluter: str | None = None
    #: Every named polluter in text order; `polluter` is the first.
    polluters: list[str] = field(default_factory=list)
    time_text: str | None = None
    #: Every time expression in text order; `time_text` is the first.
    times: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
