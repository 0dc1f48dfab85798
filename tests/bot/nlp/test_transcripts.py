"""bot/nlp/transcripts/: speakers, the caller's complaint, draft fields and their sentences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.calls import MAX_TRANSCRIPT_CHARS, TranscriptError, check
from bot.nlp.transcripts import Draft, build_draft, clean, parse

FIXTURES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "hotline").glob("*.json"))


def _case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _draft(text: str, caller: str | None = "13812345678") -> Draft:
    return build_draft(parse(check(text)), caller_number=caller, province="四川省", city="绵阳市")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("坐席：您好\x00\x01\x02", "binary"),
        ("\x01\x02\x03\x04\x05 来电人：工厂冒黑烟", "binary"),
        ("Caller: there is black smoke from the factory every night, please help.", "not_chinese"),
        ("A: hello B: the river smells bad near the plant 好", "not_chinese"),
        ("来电人：" + "工厂冒黑烟。" * (MAX_TRANSCRIPT_CHARS // 6 + 1), "too_long"),
    ],
)
def test_bad_transcripts_are_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(TranscriptError) as info:
        check(text)
    assert info.value.code == code
    assert info.value.zh and info.value.en  # a Chinese and an English reason


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("坐席：您好，12345。\n来电人：工厂冒黑烟。", ["agent", "caller"]),
        ("话务员：请讲。\n市民：河里有死鱼。", ["agent", "caller"]),
        (
            "[00:00:01] A: 您好，12345热线，请问有什么可以帮您？\n[00:00:05] B: 我们村的砖厂冒黑烟。",
            ["agent", "caller"],
        ),
        # The agent speaks second here: the cues, not the order, decide.
        ("B: 我要反映我家楼下烧烤店油烟太大。\nA: 好的，请问在什么位置？", ["caller", "agent"]),
        (
            "说话人1 00:00:02：您好，值守热线，请讲。\n说话人2 00:00:06：我要举报河里采砂。",
            ["agent", "caller"],
        ),
        ("话务员：您好12345热线。 来电人：你好，工地扬尘严重。", ["agent", "caller"]),
        ("来电反映：三台县某化工厂偷排废水。", ["summary"]),
    ],
)
def test_speakers(text: str, roles: list[str]) -> None:
    t = parse(text)
    assert [s.role for s in t.sentences if s.text][: len(roles)] == roles


def test_timestamps_and_labels_are_not_part_of_sentences() -> None:
    t = parse("[00:01:12] 来电人：河水发黑。\n[00:01:20] 坐席：好的。")
    assert [s.text for s in t.sentences] == ["河水发黑。", "好的。"]
    first = t.sentences[0]
    assert t.text[first.start : first.end] == "河水发黑。"  # offsets point into the transcript


def test_agent_questions_are_not_the_complaint() -> None:
    t = parse("坐席：请问是涪城区青义镇的鑫达砖厂吗？\n来电人：对，天天冒黑烟。")
    assert "请问" not in t.complaint and "鑫达砖厂" not in t.complaint
    assert "冒黑烟" in t.complaint


def test_unpunctuated_speech_to_text_is_split_and_attributed() -> None:
    t = parse(
        "您好12345热线请问有什么可以帮您 我要反映我们小区旁边工地晚上施工噪音很大 好的感谢您的来电"
    )
    roles = {s.text: s.role for s in t.sentences}
    assert roles["您好12345热线请问有什么可以帮您"] == "agent"
    assert roles["我要反映我们小区旁边工地晚上施工噪音很大"] == "caller"
    assert roles["好的感谢您的来电"] == "agent"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("嗯，那个，我要反映一下", "那个，我要反映一下"),
        ("嗯嗯 工厂冒烟", "工厂冒烟"),
        ("臭得很，莫得人管", "恶臭，没有人管"),
        ("晚上闹麻了", "晚上噪音很吵"),
        ("你好，河水黢黑", "河水发黑"),
        ("那个那个砖厂", "砖厂"),
        ("金额不对", "金额不对"),  # 额 inside a word stays
    ],
)
def test_clean_drops_fillers_and_translates_dialect(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_drafts(path: Path) -> None:
    case = _case(path)
    exp = case["expect"]
    d = _draft(case["transcript"], case["caller_number"])
    values = {name: f.value for name, f in d.fields.items()}
    assert (d.transfer is not None) == exp.get("transfer", False), d.transfer
    if d.transfer:
        return
    for cat in exp.get("categories", []):
        assert cat in values["categories"]
    if "district" in exp:
        assert d.place is not None and d.place.district == exp["district"]
    if "town" in exp:
        assert d.place is not None and d.place.town == exp["town"]
    if "polluter" in exp:
        assert values.get("polluter") == exp["polluter"]
    if "polluter_contains" in exp:
        assert exp["polluter_contains"] in values.get("polluter", "")
    if "time_text_contains" in exp:
        assert exp["time_text_contains"] in values.get("time_text", "")
    if "contact" in exp:
        assert values.get("contact") == exp["contact"]
        assert d.anonymous == (exp["contact"] == "匿名")
    if "has_evidence" in exp:
        assert d.has_evidence is exp["has_evidence"]
    for name in exp.get("missing", []):
        assert name in d.missing
    if exp.get("missing") == []:
        assert d.missing == []
    for code in exp.get("warnings", []):
        assert code in [w["code"] for w in d.warnings]
    if "shape" in exp:
        assert d.transcript.shape == exp["shape"]
    if "agent_text_not_in_complaint" in exp:
        assert exp["agent_text_not_in_complaint"] not in d.transcript.complaint
    if "correction_note" in exp:
        assert d.fields[exp["correction_note"]].note == "来电人更正"
    # Every field found in the transcript points at a caller (or summary) sentence saying it.
    for name, f in d.fields.items():
        for s in f.sources:
            assert s.role in ("caller", "summary"), (name, s)
            assert case["transcript"].replace("\r\n", "\n")[s.start : s.end] == s.text


def test_sources_name_the_sentence_each_field_came_from() -> None:
    d = _draft("坐席：您好。\n来电人：我家在涪城区青义镇。\n来电人：旁边鑫达砖厂每天晚上冒黑烟。")
    assert d.fields["area"].sources[0].text == "我家在涪城区青义镇。"
    assert d.fields["polluter"].sources[0].text == "旁边鑫达砖厂每天晚上冒黑烟。"
    assert d.fields["time_text"].value == "每天晚上"


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        (
            "来电人：青义镇有个厂烧垃圾。\n来电人：不对，不是青义镇，是游仙区石马镇。",
            "area",
            "石马镇",
        ),
        (
            "来电人：游仙区石马镇有个厂晚上冒黑烟。\n来电人：说错了，应该是凌晨两点。",
            "time_text",
            "凌晨",
        ),
        (
            "来电人：游仙区石马镇鑫达砖厂冒黑烟。\n来电人：不是鑫达砖厂，是宏达化工厂。",
            "polluter",
            "宏达化工厂",
        ),
    ],
)
def test_a_correction_mid_call_wins(text: str, field: str, value: str) -> None:
    d = _draft(text)
    assert value in str(d.fields[field].value)
    assert d.fields[field].note == "来电人更正"


@pytest.mark.parametrize(
    ("text", "caller", "contact", "anonymous"),
    [
        ("来电人：涪城区青义镇砖厂冒黑烟。", "138-1234-5678", "13812345678", False),
        (
            "来电人：涪城区青义镇砖厂冒黑烟。我的电话是13912345678。",
            "13812345678",
            "13912345678",
            False,
        ),
        ("来电人：涪城区青义镇砖厂冒黑烟，我要匿名。", "13812345678", "匿名", True),
        (
            "来电人：涪城区青义镇砖厂冒黑烟，不需要匿名，可以实名。",
            "13812345678",
            "13812345678",
            False,
        ),
        ("来电人：涪城区青义镇砖厂冒黑烟。", None, None, False),
    ],
)
def test_contact_is_the_caller_number_unless_anonymous(
    text: str, caller: str | None, contact: str | None, anonymous: bool
) -> None:
    d = _draft(text, caller)
    assert (d.fields["contact"].value if "contact" in d.fields else None) == contact
    assert d.anonymous is anonymous
    if contact is None:
        assert "contact" in d.missing


def test_invalid_caller_number_is_a_warning_not_a_contact() -> None:
    d = _draft("来电人：涪城区青义镇砖厂冒黑烟。", "12")
    assert "contact" in d.missing
    assert "caller_number_invalid" in [w["code"] for w in d.warnings]


def test_slot_values_are_plain_json() -> None:
    d = _draft(_case(FIXTURES[0])["transcript"])
    values = d.slot_values()
    json.dumps(values, ensure_ascii=False)
    assert values["place"]["town"] == "青义镇" and values["contact_phone"] == "13812345678"
    assert values["anonymous"] is False


def test_a_5000_character_call_drafts_quickly() -> None:
    import time

    base = _case(FIXTURES[0])["transcript"]
    text = (base + "\n") * (5000 // len(base) + 1)
    _draft(base)  # warm: the gazetteer loads once per process
    start = time.perf_counter()
    d = _draft(text[:5000])
    assert time.perf_counter() - start < 2.0
    assert d.place is not None and d.place.town == "青义镇"


def test_intake_turns_the_channel_draft_into_slots() -> None:
    """bot.intake.hotline.hotline_update: what the first message of a call sets (app side of the channel)."""
    from bot.intake import Context, interpret
    from bot.intake import build_draft as issue_draft

    d = _draft(_case(FIXTURES[0])["transcript"])
    metadata = {
        "hotline": {
            "call_id": "T-01",
            "agent_id": "A1024",
            "started_at": "2026-11-23T21:05:00+08:00",
            "transcript": "坐席：…",
            "draft": d.slot_values(),
        }
    }
    upd = interpret(
        "冒黑烟",
        intent="report_problem",
        requested_slot=None,
        form_active=False,
        slots={},
        ctx=Context(),
        metadata=metadata,
    )
    s = upd.slots
    assert s["report_uid"] == "hotline:T-01"
    assert s["area_parts"]["town"] == "青义镇" and s["polluter"] == "鑫达砖厂"
    assert s["contact_phone"] == "13812345678" and s["anonymous"] is False
    assert s["has_evidence"] is True and s["categories"] == ["大气"]
    issue = issue_draft(s, sender_id="hotline:T-01", channel="hotline", ctx=Context())
    assert (issue.call_id, issue.agent_id, issue.client_ref) == ("T-01", "A1024", "hotline:T-01")
    assert issue.call_started_at is not None and issue.call_started_at.utcoffset() is not None
    # A follow-up of the same call keeps the call on the report.
    later = interpret(
        "每天晚上",
        intent="inform",
        requested_slot="time_text",
        form_active=True,
        slots={"description": "x"},
        ctx=Context(),
        metadata={"hotline": {"call_id": "T-01", "agent_id": "A7"}},
    )
    assert later.slots["hotline_call"]["call_id"] == "T-01"
