"""The extraction as a spaCy pipeline (issue 15, step 1): the rules as components, nothing
trained yet, so every result must be the rules' own, and the pipeline must load and save like
any spaCy pipeline."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy import displacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.vocab import Vocab

from bot.nlp.extraction import extract
from bot.nlp.pipeline import (
    CANDIDATES,
    ENT_LABELS,
    SCOPE,
    cat_labels,
    extract_doc,
    make_doc,
    set_context,
)
from bot.nlp.pipeline.build import assemble, save
from bot.nlp.pipeline.corpus import gold_docs, read_jsonl
from bot.nlp.pipeline.tokenizer import JiebaTokenizer

ROOT = Path(__file__).resolve().parents[3]
SETS = sorted((ROOT / "bench" / "data").glob("invented-*.jsonl"))
TYPES = ("大气", "水", "噪声", "土壤", "生态", "固废", "辐射", "海洋", "其他", "油烟", "扬尘")
#: County-level codes: the official six digits, or zones.csv's own for county-level zones that
#: have none (两江新区 500000Z1).
COUNTY_CODE = re.compile(r"\d{6}(?:Z\d+)?")
SAMPLE = "涪城区青义镇商家村南边的宏达化工有限公司每天晚上偷排废水，臭得很，电话13812345678"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return assemble(province="四川省", city="绵阳市")


@pytest.fixture(scope="module")
def saved(nlp: Language, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipeline") / "extraction"
    save(nlp, path)
    return path


def _rows(path: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(path))


def _docs(nlp: Language, rows: list[dict[str, Any]]) -> Iterator[Doc]:
    return nlp.pipe(
        make_doc(nlp, r["text"], province=r.get("province"), city=r.get("city")) for r in rows
    )


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_the_doc_view_is_extract_on_every_bench_line(nlp: Language, path: Path) -> None:
    rows = _rows(path)
    assert rows
    for row, doc in zip(rows, _docs(nlp, rows), strict=True):
        expected = extract(row["text"], province=row.get("province"), city=row.get("city"))
        assert extract_doc(doc) == expected, row["id"]
        assert doc.text == row["text"], row["id"]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_ents_are_one_reading_and_candidates_are_the_rules_spans(nlp: Language, path: Path) -> None:
    rows = _rows(path)
    for row, doc in zip(rows, _docs(nlp, rows), strict=True):
        ex = extract_doc(doc)
        taken: set[int] = set()
        for ent in doc.ents:
            assert ent.label_ in ENT_LABELS
            assert not taken & set(range(ent.start, ent.end)), row["id"]
            taken |= set(range(ent.start, ent.end))
            if ent.label_ == "PLACE":
                assert COUNTY_CODE.fullmatch(ent.kb_id_), (row["id"], ent.text, ent.kb_id_)
        candidates = doc.spans[CANDIDATES]
        assert {(e.start, e.end, e.label_) for e in doc.ents} <= {
            (s.start, s.end, s.label_) for s in candidates
        }
        # every span keeps the rules' exact characters, jieba's words split where needed
        polluters = {s.text for s in candidates if s.label_ == "POLLUTER"}
        assert polluters == set(ex.polluters), row["id"]
        times = list(dict.fromkeys(s.text for s in candidates if s.label_ == "TIME"))
        assert times == ex.times, row["id"]
        places = {s.text for s in candidates if s.label_ == "PLACE"}
        assert places == {p.mention for p in ex.places}, row["id"]


def test_a_sample_complaint(nlp: Language) -> None:
    doc = nlp(SAMPLE)
    ents = [(e.text, e.label_, e.kb_id_) for e in doc.ents]
    assert ents == [
        ("涪城区青义镇", "PLACE", "510703"),
        ("宏达化工有限公司", "POLLUTER", ""),
        ("每天晚上", "TIME", ""),
        ("13812345678", "PHONE", ""),
    ]
    assert extract_doc(doc) == extract(SAMPLE, province="四川省", city="绵阳市")


def test_a_place_inside_a_polluters_name_stays_a_candidate(nlp: Language) -> None:
    doc = nlp("江油市宏达化工有限公司偷排废水")
    assert [(e.text, e.label_) for e in doc.ents] == [("江油市宏达化工有限公司", "POLLUTER")]
    candidates = {(s.text, s.label_, s.kb_id_) for s in doc.spans[CANDIDATES]}
    assert ("江油市", "PLACE", "510781") in candidates


def test_cats_have_every_type_and_the_scope(nlp: Language) -> None:
    assert set(cat_labels()) == {*TYPES, SCOPE}
    doc = nlp("楼下饭店油烟直排，晚上还很吵")
    assert set(doc.cats) == {*TYPES, SCOPE}
    on = {label for label, score in doc.cats.items() if score == 1.0}
    assert on == {"油烟", "大气", "噪声", SCOPE}
    assert set(doc.cats.values()) <= {0.0, 1.0}
    off = nlp("请问社保卡在哪里补办")
    assert set(off.cats) == {*TYPES, SCOPE}
    assert not any(off.cats.values())


@pytest.mark.parametrize("text", ["", "   ", "？？？!!!"])
def test_blank_and_odd_text(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert extract_doc(doc) == extract(text, province="四川省", city="绵阳市")
    assert not doc.ents and not any(doc.cats.values())


def test_the_docs_context_overrides_the_configured_one(nlp: Language) -> None:
    text = "涪城区有家工厂偷排"
    assert nlp(text).ents[0].kb_id_ == "510703"  # configured: 四川省绵阳市
    elsewhere = nlp(make_doc(nlp, text, province="山东省", city="淄博市"))
    assert extract_doc(elsewhere) == extract(text, province="山东省", city="淄博市")
    doc = nlp.make_doc(text)
    set_context(doc, province=None, city=None)
    assert extract_doc(nlp(doc)) == extract(text)


def test_the_tokenizer_saves_and_loads_its_dictionary(nlp: Language, tmp_path: Path) -> None:
    tok = nlp.tokenizer
    assert isinstance(tok, JiebaTokenizer)
    tok.to_disk(tmp_path / "tokenizer")
    loaded = JiebaTokenizer(Vocab()).from_disk(tmp_path / "tokenizer")
    from_bytes = JiebaTokenizer(Vocab()).from_bytes(tok.to_bytes())
    texts = [r["text"] for path in SETS for r in _rows(path)]
    for text in texts:
        words = [t.text for t in tok(text)]
        assert [t.text for t in loaded(text)] == words
        assert [t.text for t in from_bytes(text)] == words


def test_a_saved_dictionary_other_than_ours_is_the_one_used(nlp: Language, tmp_path: Path) -> None:
    folder = tmp_path / "tokenizer"
    ours = nlp.tokenizer
    assert isinstance(ours, JiebaTokenizer)
    ours.to_disk(folder)
    user = (folder / "userdict.txt").read_text(encoding="utf-8") + "宏达化工有限公司每天 9000000\n"
    (folder / "userdict.txt").write_text(user, encoding="utf-8")
    cfg = json.loads((folder / "cfg").read_text())
    cfg["user_sha256"] = hashlib.sha256(user.encode()).hexdigest()
    (folder / "cfg").write_text(json.dumps(cfg))
    other = JiebaTokenizer(Vocab()).from_disk(folder)
    assert "宏达化工有限公司每天" in [t.text for t in other(SAMPLE)]
    assert "宏达化工有限公司每天" not in [t.text for t in ours(SAMPLE)]
    assert other.dictionary()[1] == user
    # and a tampered file is refused
    (folder / "userdict.txt").write_text(user + "x 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="checksum"):
        JiebaTokenizer(Vocab()).from_disk(folder)


def test_spacy_load_in_a_fresh_process_with_nothing_of_ours_imported(saved: Path) -> None:
    code = (
        "import json, sys, spacy\n"
        "assert not [m for m in sys.modules if m == 'bot' or m.startswith('bot.')]\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "doc = nlp(sys.argv[2])\n"
        "print(json.dumps({'pipe': nlp.pipe_names, 'cats': doc.cats,\n"
        "  'ents': [[e.text, e.label_, e.kb_id_] for e in doc.ents]}, ensure_ascii=False))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(saved), SAMPLE],
        capture_output=True,
        text=True,
        cwd=saved.parent,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, (
        f"{out.stderr[-2000:]}\n(is the project installed in editable mode? make venvs)"
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["pipe"] == [
        "gw_types",
        "gw_polluters",
        "gw_places",
        "gw_times",
        "gw_phones",
        "gw_entities",
    ]
    assert ["涪城区青义镇", "PLACE", "510703"] in got["ents"]
    assert got["cats"]["水"] == 1.0 and got["cats"][SCOPE] == 1.0


def test_a_loaded_pipeline_extracts_as_the_assembled_one(nlp: Language, saved: Path) -> None:
    loaded = spacy.load(saved)
    rows = _rows(SETS[0])
    for row, a, b in zip(rows, _docs(nlp, rows), _docs(loaded, rows), strict=True):
        assert extract_doc(a) == extract_doc(b), row["id"]
        assert [(e.start, e.end, e.label_, e.kb_id_) for e in a.ents] == [
            (e.start, e.end, e.label_, e.kb_id_) for e in b.ents
        ]


def test_docs_serialise_with_their_extraction(nlp: Language) -> None:
    doc = nlp(SAMPLE)
    back = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert extract_doc(back) == extract_doc(doc)
    assert [(s.text, s.label_) for s in back.spans[CANDIDATES]] == [
        (s.text, s.label_) for s in doc.spans[CANDIDATES]
    ]
    assert len(DocBin(docs=[doc], store_user_data=True).to_bytes()) > 0


def test_evaluate_and_displacy(nlp: Language) -> None:
    rows = _rows(SETS[0])[:40]
    examples = [Example(nlp.make_doc(ref.text), ref) for ref in gold_docs(nlp, rows)]
    scores = nlp.evaluate(examples)
    assert 0.5 < scores["cats_macro_f"] <= 1.0
    assert set(scores["cats_f_per_type"]) == set(cat_labels())
    doc = nlp(SAMPLE)
    html = displacy.render(doc, style="ent", page=False)
    assert "宏达化工有限公司" in html and "POLLUTER" in html
    spans = displacy.render(doc, style="span", options={"spans_key": CANDIDATES})
    assert all(label in spans for label in ENT_LABELS)
