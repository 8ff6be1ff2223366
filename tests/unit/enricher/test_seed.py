"""Must-show 1: the seed article (a UNN report from Kyiv) enriched end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.enricher.enrich import enrich_event
from services.parser.parse import parse_event
from shared.events import ArticleEvent, Enrichment, Raw, Source, article_id_for_content

SEED = Path(__file__).resolve().parents[3] / "seeds" / "000_64a0eaf4a3ce9dd3.txt"


@pytest.fixture(scope="module")
def seed() -> tuple[ArticleEvent, Enrichment]:
    content = SEED.read_text(encoding="utf-8")
    raw = ArticleEvent(
        id=article_id_for_content(content),
        trace_id="seed",
        source=Source(via="cli"),
        raw=Raw(content=content, content_type="text/plain"),
    )
    event = enrich_event(parse_event(raw, max_bytes=10_000_000))
    assert event.enrichment is not None
    return event, event.enrichment


def test_language_is_english(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    assert enrichment.language is not None
    assert enrichment.language.code == "en"


def test_countries_and_focus(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    countries = {c.alpha2: c for c in enrichment.countries}
    assert {"KR", "KP", "RU", "UA"} <= set(countries)
    assert countries["KP"].focus and countries["KR"].focus
    assert countries["KP"].alpha3 == "PRK" and countries["KR"].alpha3 == "KOR"


def test_places_resolve_to_their_countries(seed: tuple[ArticleEvent, Enrichment]) -> None:
    event, enrichment = seed
    places = {p.name: p for p in enrichment.places}
    expected = {"Seoul": "KR", "Pyongyang": "KP", "Moscow": "RU", "Kyiv": "UA", "Kursk": "RU"}
    for name, country in expected.items():
        assert places[name].country == country, name
        assert places[name].lat is not None and places[name].geonames_id > 0
    assert event.article is not None and event.article.dateline == "Kyiv"
    assert places["Kyiv"].in_dateline
    assert places["Kursk"].kind == "region"


def test_organisations(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    organisations = {e.text for e in enrichment.entities if e.type == "organisation"}
    assert {"Yonhap News Agency", "UN Security Council"} <= organisations


def test_entity_offsets_point_into_the_text(seed: tuple[ArticleEvent, Enrichment]) -> None:
    event, enrichment = seed
    assert event.article is not None
    for entity in enrichment.entities:
        for start, end in entity.offsets:
            assert event.article.text[start:end].casefold() == entity.text.casefold()


def test_tone_is_negative(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    assert enrichment.tone is not None
    assert enrichment.tone.compound_mean < 0
    assert enrichment.tone.tone < 0


def test_quote_attributed_to_the_foreign_ministry(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    by_ministry = [q for q in enrichment.quotes if q.speaker == "South Korean Foreign Ministry"]
    assert by_ministry
    assert "serious violation" in by_ministry[0].text


def test_keywords_have_no_fragments(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    texts = [k.text for k in enrichment.keywords]
    assert texts
    assert "South Korean government" in texts
    for text in texts:
        assert "strongly" not in text and not text.lower().endswith(("ly", " issued", " said"))


def test_topic_is_conflict(seed: tuple[ArticleEvent, Enrichment]) -> None:
    _, enrichment = seed
    assert enrichment.topics[0].code == "medtop:16000000"
