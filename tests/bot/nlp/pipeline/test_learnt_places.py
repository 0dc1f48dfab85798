"""Places learnt from staff corrections (bot/nlp/pipeline/learnt_places.py): what is mined, the
rule (one county, never another), the table saved with the pipeline, the resolver using it below
the gazetteer, and the way from the ledger's audited edit to a pipeline that resolves the place.
Every sentence here is our own."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from bot.casework.commands import CaseWork
from bot.casework.store import CaseStore
from bot.casework.training import export
from bot.nlp.extraction import extract
from bot.nlp.pipeline import PLACE, Context, extract_doc, make_doc
from bot.nlp.pipeline.build import assemble, save
from bot.nlp.pipeline.components import RulePlaces
from bot.nlp.pipeline.corrections import correction_doc
from bot.nlp.pipeline.doc import context_of
from bot.nlp.pipeline.learnt_places import (
    Correction,
    PlaceTable,
    city_code,
    learn,
    learn_from_docs,
    mine,
    target,
)
from bot.nlp.pipeline.train import read_corrections, teach_places
from tests.factories import draft

PROV, CITY = "四川省", "绵阳市"
YOUXIAN, FUCHENG, SANTAI = "510704", "510703", "510722"
ROAD = "位于金鱼巷附近的一家小饭馆油烟直排，呛得人受不了"
VILLAGE = "我家住在幸福村三组，旁边的石材厂天天晚上切石头，吵得睡不着"


def corr(text: str, district: str | None = None, town: str | None = None) -> Correction:
    return Correction(text, PROV, CITY, district, town)


def places_of(nlp: Language) -> RulePlaces:
    pipe = nlp.get_pipe("gw_places")
    assert isinstance(pipe, RulePlaces)
    return pipe


def with_table(table: PlaceTable) -> Language:
    nlp = assemble(province=PROV, city=CITY)
    places_of(nlp).table = table
    return nlp


def read(nlp: Language, text: str, city: str = CITY, province: str = PROV) -> spacy.tokens.Doc:
    return nlp(make_doc(nlp, text, province=province, city=city))


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        (VILLAGE, {"幸福村", "幸福村三组"}),
        (ROAD, {"金鱼巷"}),
        ("在老粮站旁边有人烧垃圾", {"老粮站"}),
        ("东风大桥下面有人倒建筑垃圾", {"东风大桥"}),
        ("翠湖花园小区后面的工地晚上施工", {"翠湖花园", "翠湖花园小区"}),
        # generic: every county has them
        ("菜市场门口污水横流", set()),
        ("在县医院旁边有个工地晚上施工", set()),
        ("小区里有人烧垃圾，农村也是", set()),
        ("建设路上的饭馆油烟大", set()),
    ],
)
def test_mined_phrases_are_names_not_kinds_of_place(text: str, phrases: set[str]) -> None:
    assert {p.text for p in mine(text)} == phrases


def test_a_correction_teaches_a_road_name() -> None:
    text = "金鱼巷那边的烧烤摊晚上油烟很大"
    assert extract(text, province=PROV, city=CITY).place is None  # the gazetteer knows nothing
    learning = learn([corr(ROAD, "游仙区")])
    assert learning.table.entries[city_code(PROV, CITY)]["金鱼巷"].county == YOUXIAN
    doc = read(with_table(learning.table), text)
    place = extract_doc(doc).place
    assert place is not None and (place.district, place.city) == ("游仙区", CITY)
    assert place.mention == "金鱼巷"
    assert [(e.text, e.label_, e.kb_id_) for e in doc.ents if e.label_ == PLACE] == [
        ("金鱼巷", PLACE, YOUXIAN)
    ]
    assert doc._.gw_extraction["learnt_places"] == ["金鱼巷"]


def test_a_correction_with_a_town_teaches_a_village_and_its_town() -> None:
    learning = learn([corr(VILLAGE, "三台县", "芦溪镇")])
    nlp = with_table(learning.table)
    place = extract_doc(read(nlp, "幸福村有人半夜烧秸秆，烟大得很")).place
    assert place is not None and (place.district, place.town) == ("三台县", "芦溪镇")


def test_a_conflicting_pair_teaches_nothing() -> None:
    learning = learn(
        [
            corr("翠湖花园小区后面的工地晚上施工", "涪城区"),
            corr("翠湖花园小区门口垃圾成堆", "游仙区"),
        ]
    )
    city = city_code(PROV, CITY)
    assert city is not None
    assert not learning.table.entries.get(city)
    assert set(learning.table.conflicts[city]) == {"翠湖花园", "翠湖花园小区"}
    assert extract_doc(read(with_table(learning.table), "翠湖花园有人烧垃圾")).place is None


def test_only_corrections_that_name_one_unit_of_the_city_teach() -> None:
    assert target(corr(ROAD, "游仙区")) is not None
    assert target(corr(ROAD, "锦江区")) is None  # a district of 成都, not of 绵阳
    assert target(Correction(ROAD, PROV, None, "游仙区")) is None
    learning = learn([corr(ROAD, "锦江区")])
    assert (learning.corrections, learning.unresolved, len(learning.table)) == (1, 1, 0)


def test_what_the_gazetteer_resolved_right_is_not_learnt_again() -> None:
    learning = learn([corr("游仙区金鱼巷附近有家饭馆油烟直排", "游仙区")])
    assert "游仙区金鱼巷" not in learning.table.entries.get(city_code(PROV, CITY) or "", {})


def test_the_table_survives_to_disk_and_spacy_load(tmp_path: Path) -> None:
    nlp = with_table(learn([corr(ROAD, "游仙区"), corr(VILLAGE, "三台县", "芦溪镇")]).table)
    save(nlp, tmp_path / "extraction")
    assert (tmp_path / "extraction" / "gw_places" / "learnt_places.json").is_file()
    loaded = spacy.load(tmp_path / "extraction")
    assert places_of(loaded).table.to_json() == places_of(nlp).table.to_json()
    place = extract_doc(read(loaded, "金鱼巷那边的烧烤摊晚上油烟很大")).place
    assert place is not None and place.district == "游仙区"
    again = assemble(province=PROV, city=CITY).from_bytes(nlp.to_bytes())
    assert len(places_of(again).table) == len(places_of(nlp).table)


def test_a_pipeline_saved_without_a_table_loads_an_empty_one(tmp_path: Path) -> None:
    assert len(PlaceTable.from_disk(tmp_path / "nothing-here")) == 0


@pytest.mark.parametrize(
    "text",
    [
        "城里的饭馆油烟很大，晚上根本开不了窗",
        "涪城区金鱼巷有人烧垃圾",  # the gazetteer's exact name comes first
        "游仙区魏城镇的养殖场粪水直排进河里",
        "我在成都市锦江区金鱼巷附近，烧烤摊油烟大",  # another city: its own table, empty
        "幸福村三组的石材厂晚上切石头",  # a village nobody corrected
        "",
    ],
)
def test_an_unrelated_text_is_unaffected(text: str) -> None:
    nlp = with_table(learn([corr(ROAD, "游仙区")]).table)
    assert extract_doc(read(nlp, text)) == extract(text, province=PROV, city=CITY)
    other = extract_doc(read(nlp, "金鱼巷那边的烧烤摊晚上油烟很大", "成都市"))
    assert other.place is None  # learnt for 绵阳, not looked up in 成都


def test_a_learnt_phrase_is_a_whole_word() -> None:
    nlp = with_table(learn([corr(VILLAGE, "三台县")]).table)
    assert extract_doc(read(nlp, "新幸福村民反映河水发臭")).place is None


def test_from_the_ledger_through_export_and_training_to_the_resolved_place(
    store: CaseStore, tmp_path: Path
) -> None:
    """An issue whose district staff corrected in the console (the audited edit path) is
    exported (`make export-corrections`), learnt as `make train-extraction` learns it (the same
    functions, without spacy train's minute), saved and loaded: the pipeline then places the
    next complaint that names the road, which the rules could not."""
    issue, _ = store.file(draft(original_text=ROAD, district=None, town=None, polluter=None))
    other, _ = store.file(draft(original_text="河里有死鱼", categories=["水"]))
    CaseWork(store).edit(issue.ticket, {"district": "游仙区"}, actor="李四")
    CaseWork(store).edit(other.ticket, {"categories": "水、大气"}, actor="李四")
    path = tmp_path / "corrections.spacy"
    assert export(store, path) == 2

    rules = assemble(province=PROV, city=CITY)
    docs = read_corrections([path], rules)
    placed = [context_of(d) for d in docs if d._.gw_corrected.get("district")]
    assert placed == [Context(PROV, CITY)]  # the issue's context went with it
    learning = teach_places(rules, docs, PROV, CITY)
    assert (learning.corrections, len(learning.table)) == (1, 1)
    save(rules, tmp_path / "extraction")

    nlp = spacy.load(tmp_path / "extraction")
    text = "金鱼巷口的烧烤摊天天晚上油烟熏人"
    assert extract(text, province=PROV, city=CITY).place is None
    place = extract_doc(read(nlp, text)).place
    assert place is not None and (place.province, place.city, place.district) == (
        PROV,
        CITY,
        "游仙区",
    )


def test_learning_from_docs_uses_the_deployment_context_when_the_issue_has_none() -> None:
    rules = assemble(province=PROV, city=CITY)
    doc = correction_doc(rules, ROAD, {"district": "游仙区"})  # no province, no city
    learning = learn_from_docs([doc], PROV, CITY)
    assert len(learning.table) == 1
    assert not learn_from_docs([correction_doc(rules, ROAD, {"polluter": None})], PROV, CITY).table


def test_the_intake_reads_learnt_places_when_the_rules_find_no_county(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bot.nlp.pipeline.read` (what the chat and the hotline drafts read with) takes the built
    pipeline's place when the rules found no county and the deployment has learnt places; the
    types and the polluter stay the rules'."""
    from bot.nlp.pipeline import combine

    nlp = with_table(learn([corr(ROAD, "游仙区")]).table)
    save(nlp, tmp_path / "extraction")
    monkeypatch.setattr(combine, "default_model", lambda: tmp_path / "extraction")
    monkeypatch.delenv("GW_EXTRACTION", raising=False)
    for cached in (combine._built, combine._learnt_places, combine._load):
        cached.cache_clear()
    try:
        text = "金鱼巷那边的烧烤摊晚上油烟很大"
        rules = extract(text, province=PROV, city=CITY)
        ex = combine.read(text, PROV, CITY)
        assert rules.place is None or rules.place.district is None
        assert ex.place is not None and ex.place.district == "游仙区"
        assert (ex.pollution_types, ex.polluter) == (rules.pollution_types, rules.polluter)
        # a county the rules found is never overridden
        assert combine.read("涪城区金鱼巷有人烧垃圾", PROV, CITY).place.district == "涪城区"  # type: ignore[union-attr]
    finally:
        for cached in (combine._built, combine._learnt_places, combine._load):
            cached.cache_clear()
