"""The registry of analyses is the one list: what it declares is what the enricher runs,
records and documents, and an analysis added to it runs with no other change."""

from __future__ import annotations

import orjson
import pytest

from services.enricher.analysis import Analysis, Outcome
from services.enricher.enrich import enrich_event, enrich_events
from services.enricher.inputs import ArticleInputs
from services.enricher.registry import ANALYSES, analysis_names
from shared.events import Enrichment
from shared.schema_file import event_json_schema
from tests.unit.enricher.helpers import event_with

ENGLISH = "Officials in Tokyo said the talks with Seoul would resume on Monday. WE ARE READY."
GERMAN = "Die Regierung hat am Dienstag ein neues Gesetz beschlossen, das ab Januar gilt."


def _shouted_words(inputs: ArticleInputs) -> Outcome:
    shouted = [w.text for w in inputs.words if len(w.text) > 1 and w.text.isupper()]
    return Outcome({"shouted_words": shouted}, detail=f"{len(inputs.sentences)} sentences")


SHOUTING = Analysis(
    "shouting",
    fills=("shouted_words",),
    run=_shouted_words,
    what="words written in capitals",
)


def test_an_extra_analysis_runs_and_is_listed() -> None:
    event = enrich_event(event_with(ENGLISH), analyses=(*ANALYSES, SHOUTING))
    assert event.enrichment is not None
    runs = event.enrichment.analyses
    assert [r.name for r in runs] == [*analysis_names(), "shouting"]
    assert runs[-1].ran and runs[-1].detail == "2 sentences"
    document = orjson.loads(event.to_json())["enrichment"]
    assert document["shouted_words"] == ["WE", "ARE", "READY"]
    # The others are untouched by it.
    plain = enrich_event(event_with(ENGLISH)).enrichment
    assert plain is not None
    assert event.enrichment.model_copy(update={"analyses": runs[:-1]}).model_dump(
        exclude={"shouted_words"}
    ) == plain.model_dump(exclude={"shouted_words"})


def test_an_analysis_runs_only_for_its_languages_and_says_why_not() -> None:
    for_germans = Analysis(
        "shouting", fills=("shouted_words",), run=_shouted_words, what="",
        languages=frozenset({"de"}),
    )  # fmt: skip
    english, german = enrich_events(
        [event_with(ENGLISH), event_with(GERMAN)], analyses=(for_germans,)
    )
    assert english.enrichment is not None and german.enrichment is not None
    assert english.enrichment.analyses[0].model_dump() == {
        "name": "shouting",
        "ran": False,
        "detail": "not available for language 'en' (German only so far)",
    }
    assert "shouted_words" not in orjson.loads(english.to_json())["enrichment"]
    assert german.enrichment.analyses[0].ran


def test_the_enrichment_records_the_registry_in_its_order() -> None:
    event = enrich_event(event_with(GERMAN))
    assert event.enrichment is not None
    assert [r.name for r in event.enrichment.analyses] == analysis_names()
    skipped = {r.name: r.detail for r in event.enrichment.analyses if not r.ran}
    assert skipped == {
        "entities": "no NER model for language 'de'",
        "tone": "no tone lexicon for language 'de' (VADER's is English only)",
        "topics": "not available for language 'de' (English only so far)",
        "duplicates": "needs the shared index in Redis",
        "stories": "needs the shared index in Redis",
    }


def test_without_an_analysis_needing_ner_the_model_does_not_run() -> None:
    needs_ner = [a for a in ANALYSES if "ner" in a.needs]
    assert needs_ner
    without = tuple(a for a in ANALYSES if "ner" not in a.needs)
    event = enrich_event(event_with("Angela Merkel visited Paris on Monday."), analyses=without)
    assert event.enrichment is not None and event.enrichment.entities == []
    assert [r.name for r in event.enrichment.analyses] == [a.name for a in without]


def test_every_analysis_fills_fields_of_the_enrichment_model() -> None:
    names = analysis_names()
    assert len(set(names)) == len(names)
    for analysis in ANALYSES:
        for field in analysis.fills:
            assert field in Enrichment.model_fields, f"{analysis.name}: no `{field}` in Enrichment"


def test_an_analysis_may_fill_only_what_it_declares() -> None:
    sloppy = Analysis("sloppy", fills=("quotes",), run=lambda _: Outcome({"topics": []}), what="")
    with pytest.raises(ValueError, match="sloppy"):
        enrich_event(event_with(ENGLISH), analyses=(sloppy,))


def test_only_an_analysis_that_needs_redis_opens_on_it() -> None:
    with pytest.raises(ValueError, match="on_redis"):
        Analysis("x", fills=(), run=_shouted_words, what="", needs=frozenset({"redis"}))


def test_the_schema_lists_the_registry_names() -> None:
    schema = event_json_schema(analysis_names())
    name = schema["$defs"]["AnalysisRun"]["properties"]["name"]
    assert name["enum"] == analysis_names()
