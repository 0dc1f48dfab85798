"""What extraction found, highlighted for staff (bot/web/console/entities.py): displaCy's HTML,
escaped, each entity labelled with the field it fills, phones masked for roles that may not
see them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.calls import FIELD_LABELS
from bot.casework.store import CaseStore
from bot.config import Settings
from bot.web.app import create_app
from bot.web.console.entities import draft_html, issue_html, render
from tests.console_login import login
from tests.factories import draft

WORDS = "涪城区青义镇的鑫达砖厂每天晚上冒黑烟，我的电话是139 1234 5678"


def test_entities_are_labelled_with_the_field_they_fill() -> None:
    html = str(issue_html(WORDS, "四川省", "绵阳市"))
    assert f'data-field="{FIELD_LABELS["polluter"]}">鑫达砖厂<' in html
    assert f'data-field="{FIELD_LABELS["area"]}">涪城区青义镇<' in html
    assert f'data-field="{FIELD_LABELS["time_text"]}">每天晚上<' in html
    assert html.count("<mark") == html.count("</mark>") >= 3


def test_the_text_is_escaped() -> None:
    hostile = '鑫达砖厂<img src=x onerror="alert(1)">冒黑烟&lt;'
    html = str(issue_html(hostile, "四川省", "绵阳市"))
    assert "<img" not in html and "&lt;img src=x" in html
    assert "&amp;lt;" in html
    spans = str(render("<b>宏达</b>", [(0, 3, "polluter")]))
    assert "<b>" not in spans and "&lt;b&gt;" in spans


def test_overlapping_and_out_of_range_spans_are_dropped() -> None:
    html = str(render("宏达塑料厂烧塑料", [(0, 5, "polluter"), (0, 8, "location"), (6, 99, "x")]))
    assert html.count("<mark") == 1 and ">宏达塑料厂<" in html


def test_a_draft_field_is_marked_where_its_value_was_said_or_on_its_sentence() -> None:
    text = "来电人：宏达塑料厂天天晚上烧塑料。\n来电人：大概从上个月开始。"
    fields = {
        "description": {"value": "宏达塑料厂天天晚上烧塑料", "sources": [{"start": 4, "end": 17}]},
        "polluter": {"value": "宏达塑料厂", "sources": [{"start": 4, "end": 17}]},
        "time_text": {"value": "近一个月", "sources": [{"start": 22, "end": 31}]},
        "categories": {"value": ["大气"], "sources": [{"start": -1, "end": -1}]},
        "junk": "not a field",
    }
    html = str(draft_html(text, fields))
    assert f'data-field="{FIELD_LABELS["polluter"]}">宏达塑料厂<' in html
    assert f'data-field="{FIELD_LABELS["time_text"]}">大概从上个月开始。<' in html
    # The description's whole sentence holds the polluter: the value said there wins.
    assert f'data-field="{FIELD_LABELS["description"]}"' not in html
    assert html.count("<mark") == 2


def test_the_issue_page_highlights_and_masks_the_phone_for_departments(store: CaseStore) -> None:
    issue, _ = store.file(draft(original_text=WORDS, phenomenon="砖厂冒黑烟"))
    with TestClient(create_app(store=store, settings=Settings())) as dept:
        login(dept, store, "department", department=issue.department or "生态环境局")
        html = dept.get(f"/console/issues/{issue.ticket}").text
    assert "自动识别" in html and 'class="entity"' in html
    assert "139 1234 5678" not in html and "5678" in html
    with TestClient(create_app(store=store, settings=Settings())) as office:
        login(office, store, "office")
        html = office.get(f"/console/issues/{issue.ticket}").text
    assert f'data-field="{FIELD_LABELS["contact"]}">139 1234 5678<' in html
