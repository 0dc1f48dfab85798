"""Staff see what extraction found (issue 15): displaCy's server-rendered HTML on the issue page
and on the hotline page, in a real headless Chromium against the running stack. Screenshots go to
artifacts/console/ (issue-entities.png, hotline-entities.png)."""

from __future__ import annotations

import re

import pytest

from bot.calls import FIELD_LABELS
from bot.ops.stack import Stack
from tests.e2e.conftest import Chat
from tests.e2e.test_console_browser import _page, _report, _shot, browser, users

pytestmark = pytest.mark.e2e

__all__ = ["browser", "users"]  # the fixtures, shared with the console's browser test


def test_the_issue_page_shows_what_was_found(
    stack: Stack, users: dict[str, str], browser: object
) -> None:
    chat = Chat(stack)
    ticket = _report(chat, "游仙区魏城镇的宏发石材厂天天晚上切石头，粉尘飘得到处都是")
    page = _page(browser, stack, users["office"])
    page.goto(f"/console/issues/{ticket}")  # type: ignore[attr-defined]
    marks = page.locator(".found mark.entity")  # type: ignore[attr-defined]
    assert marks.count() >= 2
    found = {
        marks.nth(i).get_attribute("data-field"): marks.nth(i).inner_text()
        for i in range(marks.count())
    }
    assert "宏发石材厂" in found.get(FIELD_LABELS["polluter"], ""), found
    assert "魏城镇" in found.get(FIELD_LABELS["area"], ""), found
    page.locator(".found").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    _shot(page, "issue-entities")


def test_the_hotline_page_highlights_the_draft_fields(
    stack: Stack, users: dict[str, str], browser: object
) -> None:
    page = _page(browser, stack, users["office"])
    page.goto("/console/hotline")  # type: ignore[attr-defined]
    page.fill("#call_id", "e2e-entities-1")  # type: ignore[attr-defined]
    page.fill(  # type: ignore[attr-defined]
        "#transcript",
        "话务员：您好，12345。\n来电人：涪城区青义镇的宏达塑料厂天天晚上烧塑料<b>，黑烟呛人。\n"
        "话务员：好的。\n",
    )
    page.keyboard.press("Control+Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("#source mark.entity")  # type: ignore[attr-defined]
    source = page.locator("#source")  # type: ignore[attr-defined]
    assert "<b>" in source.inner_text()  # shown as text, never as markup
    assert page.locator("#source b").count() == 0  # type: ignore[attr-defined]
    labels = set(source.locator("mark.entity").evaluate_all("ms => ms.map(m => m.dataset.field)"))
    assert FIELD_LABELS["polluter"] in labels, labels
    # Focusing a draft row outlines where its value was said in the transcript.
    row = page.locator("#draft tr", has_text=FIELD_LABELS["polluter"])  # type: ignore[attr-defined]
    row.focus()
    on = page.locator("#source mark.entity.on")  # type: ignore[attr-defined]
    assert on.count() == 1 and "宏达塑料厂" in on.inner_text()
    _shot(page, "hotline-entities")
    assert re.search(r"宏达塑料厂", source.inner_text())
