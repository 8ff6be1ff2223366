"""The enricher's entry points: one event, a batch, and input it must refuse."""

from __future__ import annotations

import pytest

from services.enricher.enrich import enrich_event, enrich_events
from shared.errors import Rejected
from shared.events import ArticleEvent, Raw, Source
from tests.unit.enricher.helpers import event_with


def test_batch_gives_the_same_result_as_one_by_one() -> None:
    events = [
        event_with("Angela Merkel visited Paris on Monday."),
        event_with("El presidente viajó a Madrid el lunes para reunirse con los alcaldes."),
        event_with("Officials in Tokyo said the talks with Seoul would resume."),
    ]
    batched = enrich_events(events)
    for event, result in zip(events, batched, strict=True):
        single = enrich_event(event)
        assert result.enrichment is not None and single.enrichment is not None
        assert result.enrichment.entities == single.enrichment.entities
        assert result.enrichment.countries == single.enrichment.countries
        assert result.timestamps.enriched_at is not None


def test_every_analysis_is_accounted_for() -> None:
    enrichment = enrich_event(event_with("Officials in Tokyo said the talks would resume."))
    assert enrichment.enrichment is not None
    runs = {a.name: a for a in enrichment.enrichment.analyses}
    assert set(runs) == {
        "language", "entities", "countries", "places", "tone", "keywords", "topics", "quotes",
        "duplicates", "stories",
    }  # fmt: skip
    # Without the stage's Redis index, duplicates and stories are not looked for, and the
    # event says so.
    assert not runs["duplicates"].ran
    assert not runs["stories"].ran


def test_event_without_article_is_rejected() -> None:
    event = ArticleEvent(id="x", trace_id="t", source=Source(), raw=Raw(content="<p>hi</p>"))
    with pytest.raises(Rejected) as caught:
        enrich_event(event)
    assert caught.value.reason == "not_parsed"


def test_empty_text_does_not_crash() -> None:
    enrichment = enrich_event(event_with("")).enrichment
    assert enrichment is not None
    assert enrichment.word_count == 0 and enrichment.entities == [] and enrichment.quotes == []
