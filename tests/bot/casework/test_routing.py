"""Routing by the responsibility list: category × phenomenon keywords × area → department."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.casework.routing import departments, load, propose, route_text


@pytest.mark.parametrize(
    ("categories", "text", "department", "rule"),
    [
        (["扬尘"], "某某工地每天施工扬尘很大", "住建局", "construction-dust"),
        (["噪声"], "工地夜间施工打桩，吵得睡不着", "住建局", "construction-noise"),
        (["噪声"], "改装车半夜炸街", "公安交管", "traffic-noise"),
        (["油烟"], "楼下饭店油烟直排", "城管局", "cooking-fumes"),
        (["大气"], "路边烧烤摊油烟呛人", "城管局", "restaurant-fumes"),
        (["大气"], "有人在河边露天焚烧垃圾", "城管局", "open-burning-garbage"),
        (["水"], "养猪场粪便直接排进河里", "农业农村局", "livestock"),
        (["大气"], "地里在烧秸秆，烟很大", "农业农村局", "straw-burning"),
        (["水"], "污水处理厂出水发黑", "水务局", "sewage-plants-rivers"),
        (["生态"], "河道里有人晚上偷偷采砂", "水利局", "sand-mining"),
        (["生态"], "山上有人非法开采石料，采石场炸山", "自然资源局", "mines"),
        (["生态"], "后山有人大量砍伐林木", "林业局", "forests"),
        (["水"], "化工厂夜里偷排污水，河水发黑", "生态环境局", "default"),
        (["大气"], "砖厂冒黑烟", "生态环境局", "default"),
        (["辐射"], "小区楼顶装了基站", "生态环境局", "default"),
    ],
)
def test_propose(categories: list[str], text: str, department: str, rule: str) -> None:
    proposal = propose(categories, text=text, district="涪城区")
    assert (proposal.department, proposal.rule_id) == (department, rule)
    assert proposal.district == "涪城区"
    assert rule in proposal.explanation


def test_explanation_names_the_keyword() -> None:
    proposal = propose(["噪声"], text="工地夜间施工", district=None)
    assert "关键词“工地”" in proposal.explanation
    assert "住建" in proposal.explanation


def test_category_must_match_when_rule_names_one() -> None:
    # "工地" alone does not send a water complaint to 住建局: the dust rule names 扬尘/大气.
    assert propose(["水"], text="工地排泥浆水到河里", district=None).department == "生态环境局"


def test_district_rule(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(
        "rules:\n"
        "  - {id: park, name: 园区, districts: [高新区], department: 园区管委会}\n"
        "  - {id: default, name: 其余, default: true, department: 生态环境局}\n"
        "departments: [生态环境局, 园区管委会]\n",
        encoding="utf-8",
    )
    table = load(path)
    assert propose(["大气"], text="", district="高新区", table=table).department == "园区管委会"
    assert propose(["大气"], text="", district="涪城区", table=table).department == "生态环境局"


def test_list_must_end_with_default(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text("rules:\n  - {id: a, name: a, department: x}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="default"):
        load(path)


def test_every_department_is_listed() -> None:
    assert departments()[0] == "生态环境局"
    assert {"住建局", "城管局", "农业农村局", "水务局", "公安交管", "林业局"} <= set(departments())


def test_route_text_joins_fields() -> None:
    assert route_text("冒烟", "鑫达砖厂", None) == "冒烟 鑫达砖厂"
