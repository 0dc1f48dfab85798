"""The trained extraction pipeline (issue 15, step 2): models/extraction as `make
train-extraction` builds it (test-unit depends on its stamp), the combination of rules and
models, the training split, and staff corrections as training examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from bot.casework.commands import CaseWork
from bot.casework.store import CaseStore
from bot.casework.training import corrected_issues
from bot.nlp.extraction import extract
from bot.nlp.pipeline import POLLUTER, SCOPE, cat_labels, combined, extract_doc, make_doc
from bot.nlp.pipeline.build import assemble
from bot.nlp.pipeline.corpus import read_jsonl, training_doc
from bot.nlp.pipeline.corrections import correction_doc
from bot.nlp.pipeline.train import TRAIN_DIR, split, train_corpora
from tests.factories import draft

ROOT = Path(__file__).resolve().parents[4]
MODEL = ROOT / "models" / "extraction"
SAMPLE = "涪城区青义镇的鑫达砖厂每天晚上冒黑烟，附近河里还有死鱼"


@pytest.fixture(scope="module")
def nlp() -> Language:
    assert (MODEL / "config.cfg").exists(), "models/extraction is missing: make train-extraction"
    return spacy.load(MODEL)


def test_loads_in_a_fresh_process_with_nothing_of_ours_imported() -> None:
    code = (
        "import json, sys, spacy\n"
        f"nlp = spacy.load({str(MODEL)!r})\n"
        f"doc = nlp({SAMPLE!r})\n"
        "print(json.dumps({'pipes': nlp.pipe_names, 'cats': sorted(doc.cats),"
        " 'ours': sorted(m for m in sys.modules if m.startswith('bot.'))[:1]}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"textcat_multilabel", "ner", "gw_combine"} <= set(got["pipes"])
    assert got["pipes"].index("gw_combine") < got["pipes"].index("gw_entities")
    assert sorted(got["cats"]) == sorted(cat_labels())


def test_cats_have_every_label_and_the_scope_is_a_probability(nlp: Language) -> None:
    for text in (SAMPLE, "小区门口共享单车乱停，轮椅推不过去", "", "   "):
        doc = nlp(text)
        assert set(doc.cats) == set(cat_labels())
        assert 0.0 <= doc.cats[SCOPE] <= 1.0
        assert all(v in (0.0, 1.0) for k, v in doc.cats.items() if k != SCOPE)
    assert nlp(SAMPLE).cats[SCOPE] > nlp("小区门口共享单车乱停，轮椅推不过去").cats[SCOPE]


def _lines(n: int = 60) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((ROOT / "bench" / "data").glob("invented-*.jsonl")):
        rows.extend(list(read_jsonl(path))[: n // 6])
    return rows


def test_combined_never_removes_what_the_rules_found(nlp: Language) -> None:
    eager = assemble(province="四川省", city="绵阳市")  # the same, with a threshold of 0: every
    for name in ("textcat_multilabel", "ner"):  # type the model gives any weight is added
        eager.add_pipe(name, source=nlp, before="gw_entities")
    eager.add_pipe(
        "gw_combine", before="gw_entities", config={"threshold": 0.0, "fill_polluter": True}
    )
    for row in _lines():
        text, prov, city = str(row["text"]), row.get("province"), row.get("city")
        rules = extract(text, province=prov, city=city)  # type: ignore[arg-type]
        # places learnt from staff corrections (none unless var/corrections.spacy has some) may
        # place what the rules did not: learnt_places.py, tests/.../test_learnt_places.py
        learnt = nlp(make_doc(nlp, text, province=prov, city=city))._.gw_extraction  # type: ignore[arg-type]
        for ex in (
            combined(text, prov, city),  # type: ignore[arg-type]
            extract_doc(eager(make_doc(eager, text, province=prov, city=city))),  # type: ignore[arg-type]
        ):
            assert set(rules.pollution_types) <= set(ex.pollution_types), row["id"]
            assert set(rules.categories) <= set(ex.categories), row["id"]
            if rules.polluter:
                assert ex.polluter == rules.polluter, row["id"]
            if not learnt.get("learnt_places"):
                assert ex.place == rules.place, row["id"]
    doc = eager(SAMPLE)
    assert set(doc._.gw_model["added"]) | set(extract(SAMPLE).categories) >= {"大气"}


def test_the_models_fill_in_only_what_the_rules_left_empty(nlp: Language) -> None:
    doc = nlp(
        make_doc(nlp, "我家楼下那个叫老王烧烤的店天天半夜吵", province="四川省", city="绵阳市")
    )
    info = doc._.gw_model
    assert set(info) == {"cats", "polluters", "added", "filled"}
    if info["filled"]:  # the recogniser's name became the polluter and an entity
        assert extract_doc(doc).polluter == info["filled"]
        assert any(e.label_ == POLLUTER for e in doc.ents)


def test_training_never_reads_an_evaluation_set() -> None:
    paths = train_corpora()
    assert paths and all(p.parent == TRAIN_DIR for p in paths)
    assert not any("invented" in p.name for p in paths)
    rows = [r for p in paths for r in read_jsonl(p)]
    train, dev = split(rows)
    _, again_dev = split(reversed(rows))
    assert {r["id"] for r in dev} == {r["id"] for r in again_dev}  # fixed, order-free
    assert 0.10 < len(dev) / len(rows) < 0.20
    assert not {r["id"] for r in train} & {r["id"] for r in dev}


def test_a_training_line_marks_its_polluter() -> None:
    rules = assemble()
    doc = training_doc(
        rules, {"id": "x", "text": SAMPLE, "pollution_types": ["大气"], "polluter": "鑫达砖厂"}
    )
    assert [(e.text, e.label_) for e in doc.ents] == [("鑫达砖厂", POLLUTER)]
    assert doc.cats["大气"] == 1.0 and doc.cats["水"] == 0.0 and doc.cats[SCOPE] == 1.0
    none = training_doc(rules, {"id": "y", "text": SAMPLE, "polluter": None})
    assert not none.ents and all(t.ent_iob_ == "O" for t in none)
    missing = training_doc(rules, {"id": "z", "text": SAMPLE, "ours": False})
    assert all(t.ent_iob_ == "" for t in missing) and missing.cats[SCOPE] == 0.0


def test_a_staff_correction_becomes_a_training_example(store: CaseStore) -> None:
    text = "青义镇商家村的鑫达砖厂每天晚上冒黑烟，还往河里偷排污水"
    issue, _ = store.file(draft(original_text=text, categories=["水"]))
    untouched, _ = store.file(draft())
    CaseWork(store).edit(
        issue.ticket, {"categories": "大气、水", "polluter": "鑫达砖厂"}, actor="李四"
    )
    found = corrected_issues(store)
    assert [c.ticket for c in found] == [issue.ticket]  # the unedited issue teaches nothing
    assert untouched.ticket not in {c.ticket for c in found}
    rec = found[0]
    assert rec.text == text and rec.fields == {"categories": ["大气", "水"], "polluter": "鑫达砖厂"}
    doc = correction_doc(assemble(), rec.text, rec.fields)
    assert doc.cats["大气"] == doc.cats["水"] == doc.cats[SCOPE] == 1.0
    assert doc.cats["噪声"] == 0.0
    assert [(e.text, e.label_) for e in doc.ents] == [("鑫达砖厂", POLLUTER)]
    only_place = correction_doc(assemble(), rec.text, {"district": "游仙区"})
    assert not only_place.cats and all(t.ent_iob_ == "" for t in only_place)
    assert only_place._.gw_corrected == {"district": "游仙区"}


def test_exported_corrections_carry_no_phone_or_name_of_the_reporter(store: CaseStore) -> None:
    text = "我是王小明，电话138 1234 5678，鑫达砖厂晚上冒黑烟"
    issue, _ = store.file(draft(original_text=text, reporter_name="王小明"))
    CaseWork(store).edit(issue.ticket, {"polluter": "鑫达砖厂"}, actor="李四")
    [rec] = corrected_issues(store)
    assert "王小明" not in rec.text and "1234" not in rec.text
    assert "鑫达砖厂" in rec.text and "王**" in rec.text


def test_the_intake_reads_with_the_rules_unless_told_to_combine(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.nlp.pipeline import combine

    text = "游仙区魏城镇有个叫宏远的养殖场，粪水直接排进河里，还往田里倒废机油"
    rules = extract(text, province="四川省", city="绵阳市")
    both = combined(text, "四川省", "绵阳市")
    monkeypatch.delenv("GW_EXTRACTION", raising=False)
    assert combine.read(text, "四川省", "绵阳市") == rules
    monkeypatch.setenv("GW_EXTRACTION", "combined")
    assert combine.read(text, "四川省", "绵阳市") == both
    # No built pipeline: the rules, and the log says so once.
    monkeypatch.setattr(combine, "default_model", lambda: Path("/nonexistent/extraction"))
    combine._built.cache_clear()
    try:
        with caplog.at_level("WARNING", logger=combine.__name__):
            assert combine.read(text, "四川省", "绵阳市") == rules
            assert combine.read(text, "四川省", "绵阳市") == rules
        assert sum("make train-extraction" in r.getMessage() for r in caplog.records) == 1
    finally:
        combine._built.cache_clear()
