"""The conversation bench's simulated citizen and scorers (bench/conversations.py, bench/hotline.py
--data), on small made-up examples: the bot's real question texts are classified to the fact
they ask, and the verdicts follow the rules in the bench's docstring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.conversations import (
    Citizen,
    Question,
    classify,
    given_at_start,
    mentions_redirect,
    pick_choice,
    redirect_targets,
    same_categories,
    summarise,
    verdicts,
)
from bench.hotline import score_call, summarise_calls
from bot import texts
from bot.nlp.transcripts import build_draft, parse

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ("四川省", "绵阳市")


def _domain_text(name: str) -> str:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return str(domain["responses"][name][0]["text"])


def _turn(*messages: dict[str, Any] | str) -> list[dict[str, Any]]:
    return [{"text": m} if isinstance(m, str) else m for m in messages]


@pytest.mark.parametrize(
    ("key", "fact"),
    [
        ("ask.description", "type"),
        ("ask.categories", "type"),
        ("ask.location", "place"),
        ("ask.area", "place"),
        ("ask.time_text", "time"),
        ("ask.polluter", "polluter"),
        ("ask.evidence", "evidence"),
        ("ask.contact", "contact"),
        ("contact_invalid", "contact"),
    ],
)
def test_each_question_of_the_bot_is_read_as_its_fact(key: str, fact: str) -> None:
    q = classify(_turn(_domain_text("utter_start_report"), texts.message("citizen", key)))
    assert (q.kind, q.fact) == ("fact", fact)


def test_the_read_back_asks_to_confirm_and_gets_confirm() -> None:
    summary = texts.message(
        "citizen",
        "summary",
        place="游仙区某村",
        place_full="四川省绵阳市游仙区某村",
        categories="噪声",
        description="隔壁厂子晚上机器响",
        time_text="晚上",
        polluter="某机械厂",
        evidence="无",
        contact="匿名",
    )
    q = classify(_turn(summary))
    assert q.kind == "confirm"
    assert Citizen({"opening": "x"}).reply(q) == "确认"
    assert Citizen({"opening": "x"}).reply(Question("confirm", text="是游仙区的，对吗？")) == "对"


def test_the_understood_line_before_a_question_does_not_decide() -> None:
    understood = texts.message("citizen", "understood", place="某街道某地点", categories="水")
    q = classify(_turn(understood, texts.message("citizen", "ask.time_text")))
    assert (q.kind, q.fact) == ("fact", "time")


def test_numbered_places_are_a_choice_answered_by_the_expected_district() -> None:
    msg = texts.message(
        "citizen",
        "ask.area_ambiguous",
        mention="某某镇",
        candidates="1. 四川省绵阳市江油市某某镇\n2. 四川省绵阳市游仙区某某镇",
    )
    q = classify(_turn(msg))
    assert q.kind == "choice"
    assert pick_choice(q.choices, "游仙区") == "2"
    assert pick_choice(q.choices, "三台县") == "1"
    assert pick_choice(q.choices, None) == "1"


def test_category_buttons_are_not_a_place_choice() -> None:
    q = classify(_turn(texts.message("citizen", "ask.categories")))
    assert (q.kind, q.fact) == ("fact", "type")


@pytest.mark.parametrize(
    "name", ["utter_default", "utter_greet", "utter_cancelled", "utter_ask_correction"]
)
def test_what_no_fact_answers_is_other(name: str) -> None:
    assert classify(_turn(_domain_text(name))).kind == "other"


def test_a_ticket_ends_the_conversation() -> None:
    filed = texts.message("citizen", "filed", ticket="HB-20991231-0042")
    q = classify(_turn(filed))
    assert q.kind == "ticket"
    assert Citizen({"opening": "x"}).reply(q) is None


def test_an_example_ticket_in_a_help_text_is_not_a_filing() -> None:
    turn = _turn(texts.message("citizen", "status.none"))
    assert classify(turn).kind == "ticket"  # without the ledger, any ticket counts
    assert classify(turn, is_filed=lambda t: False).kind == "other"
    filed = _turn(texts.message("citizen", "filed", ticket="HB-20991231-0042"))
    assert classify(filed, is_filed=lambda t: t == "HB-20991231-0042").kind == "ticket"


def test_the_citizen_repeats_the_opening_once_then_gives_up() -> None:
    c = Citizen({"opening": "河里死了好多鱼", "answers": {}})
    assert c.reply(Question("other")) == "河里死了好多鱼"
    assert c.reply(Question("other")) is None
    assert c.gave_up and c.others == 2


def test_answers_are_verbatim_and_a_missing_answer_is_unknown() -> None:
    c = Citizen({"opening": "x", "answers": {"time": "上个礼拜天", "polluter": None}})
    assert c.reply(Question("fact", fact="time")) == "上个礼拜天"
    assert c.reply(Question("fact", fact="polluter")) == "不清楚"


def test_facts_given_by_the_opening() -> None:
    scenario = {
        "opening": "安州那边的红星化工厂晚上排臭气",
        "expected": {"district": "安州区", "polluter": "红星化工厂"},
    }
    assert given_at_start(scenario) == {"place", "polluter"}
    assert given_at_start({"opening": "有个厂排臭气", "expected": {"district": "安州区"}}) == set()


def test_extra_questions_ask_again_what_was_given() -> None:
    c = Citizen(
        {
            "opening": "盐亭那边有个养鸡场臭得很",
            "answers": {"place": "盐亭县某镇", "type": "臭", "evidence": "没有"},
            "expected": {"district": "盐亭县", "polluter": None},
        }
    )
    c.reply(Question("fact", fact="place"))  # the opening named 盐亭: extra
    c.reply(Question("fact", fact="type"))  # type in the opening does not count: not extra
    c.reply(Question("fact", fact="type"))  # asked again after the answer: extra
    c.reply(Question("fact", fact="evidence"))  # never stated before: not extra
    c.reply(Question("choice", fact="place", choices=[(1, "a"), (2, "b")]))  # never extra
    assert c.extra_questions == 2
    assert c.fact_questions == 4


def test_categories_count_fumes_and_dust_as_air() -> None:
    assert same_categories(["油烟", "噪声"], ["大气", "噪声"])
    assert same_categories(["扬尘"], ["大气"])
    assert not same_categories(["大气"], ["大气", "噪声"])
    assert not same_categories(["水"], ["土壤"])


def test_redirect_targets_and_mentions() -> None:
    assert redirect_targets("110/公安") == ["110", "公安"]
    assert redirect_targets(12345) == ["12345"]
    assert redirect_targets(None) == []
    assert mentions_redirect(["请拨打12345反映"], 12345)
    assert mentions_redirect(["请联系物业"], "物业、住建")
    assert not mentions_redirect(["已登记"], "12315")
    assert not mentions_redirect(["随便什么"], None)


def _result(kind: str, issue: dict[str, Any] | None, **expected: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "issue": issue,
        "expected": expected,
        "bot_texts": ["这不归我们管，请拨打12333"],
        "turns": 5,
        "ticket": "HB-20991231-0001" if issue else None,
        "turns_to_file": 5 if issue else None,
        "fact_questions": 3,
        "extra_questions": 1,
        "others": 0,
        "gave_up": False,
    }


def test_filed_right_needs_district_categories_and_named_polluter() -> None:
    issue = {"district": "安州区", "categories": ["油烟"], "polluter": "张记火锅店"}
    right = _result("report", issue, district="安州区", categories=["大气"], polluter="张记火锅")
    assert verdicts(right, DEPLOY)["filed_right"]
    any_polluter = _result("report", issue, district="安州", categories=["油烟"], polluter=None)
    assert verdicts(any_polluter, DEPLOY)["filed_right"]
    wrong_name = _result("report", issue, district="安州区", categories=["油烟"], polluter="王家")
    assert not verdicts(wrong_name, DEPLOY)["filed_right"]
    wrong_place = _result("borderline", issue, district="北川县", categories=["油烟"])
    assert not verdicts(wrong_place, DEPLOY)["filed_right"]
    assert not verdicts(_result("report", None, district="安州区"), DEPLOY)["filed"]


def test_redirected_right_needs_no_issue_and_the_target() -> None:
    assert verdicts(_result("not_ours", None, redirect="12333"), DEPLOY)["redirected_right"]
    assert not verdicts(_result("not_ours", {"district": "x"}, redirect="12333"), DEPLOY)[
        "redirected_right"
    ]
    assert not verdicts(_result("not_ours", None, redirect="110"), DEPLOY)["redirected_right"]


def test_summary_counts_reports_and_not_ours_apart() -> None:
    issue = {"district": "安州区", "categories": ["水"], "polluter": None}
    rows = [
        _result("report", issue, district="安州区", categories=["水"]),
        _result("report", None, district="安州区", categories=["水"]),
        _result("not_ours", None, redirect="12333"),
    ]
    for r in rows:
        r["verdict"] = verdicts(r, DEPLOY)
    s = summarise(rows)
    assert (s["reports"], s["filed"], s["filed_right"], s["not_ours"]) == (2, 1, 1, 1)
    assert s["redirected_right"] == 1
    assert s["extra_questions_per_report"] == 1.0
    assert s["turns_to_file_median"] == 5
    assert s["reports_with_extra_questions"] == 2
    assert s["hit_turn_limit"] == 0


def test_hotline_scoring_of_a_made_up_call() -> None:
    call = {
        "transcript": "坐席：您好。\n来电人：安州区花荄镇的红星化工厂往河里排黄水，臭得很。",
        "expected": {
            "district": "安州区",
            "categories": ["水", "大气"],
            "polluter": "红星化工厂",
            "redirect": None,
        },
    }
    d = build_draft(parse(call["transcript"]), province=DEPLOY[0], city=DEPLOY[1])
    row = score_call(call, d, *DEPLOY)
    assert row["district_right"] and row["polluter_right"]
    transfer = {
        "transcript": "坐席：您好。\n来电人：公司拖欠我三个月工资不发。",
        "expected": {"district": None, "categories": [], "polluter": None, "redirect": "12333"},
    }
    d2 = build_draft(parse(transfer["transcript"]), province=DEPLOY[0], city=DEPLOY[1])
    row2 = score_call(transfer, d2, *DEPLOY)
    assert row2["redirect_right"]
    s = summarise_calls([row, row2])
    assert s["district"]["of"] == 1 and s["redirect"]["of"] == 1
