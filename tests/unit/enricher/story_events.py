"""Enriched events for the story-assignment tests: hand-made entities, places, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.enricher.story_features import ArticleFeatures, article_features
from shared.events import (
    Article,
    ArticleEvent,
    CountryMention,
    Enrichment,
    Entity,
    LanguageGuess,
    Place,
    Raw,
    Source,
)

DAY = 86_400.0
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def story_event(
    article_id: str,
    title: str,
    text: str,
    *,
    people: tuple[str, ...] = (),
    places: tuple[tuple[str, int], ...] = (),
    at: datetime = T0,
    published: datetime | None = None,
    language: str = "en",
    duplicate_of: str | None = None,
) -> ArticleEvent:
    entities = [
        Entity(type="person", text=p, label="PERSON", count=2, offsets=[(0, 1), (2, 3)])
        for p in people
    ]
    found = [
        Place(name=name, kind="city", country="UA", geonames_id=geonames_id, count=1)
        for name, geonames_id in places
    ]
    return ArticleEvent(
        id=article_id,
        trace_id=article_id,
        source=Source(received_at=at),
        raw=Raw(),
        article=Article(title=title, text=text, published_at=published),
        enrichment=Enrichment(
            language=LanguageGuess(code=language, confidence=1.0),
            word_count=len(text.split()),
            reading_time_s=1,
            entities=entities,
            places=found,
            countries=[
                CountryMention(
                    alpha2="UA", alpha3="UKR", name="Ukraine", count=1, score=1.0, focus=True
                )
            ]
            if places
            else [],
            duplicate_of=duplicate_of,
        ),
    )


def features_of(event: ArticleEvent) -> ArticleFeatures:
    features = article_features(event)
    assert features is not None
    return features


QUAKE_A = (
    "Earthquake of magnitude 6.1 kills 40 in Tabriz",
    "A magnitude 6.1 earthquake struck near Tabriz on Saturday, killing 40 people and "
    "injuring hundreds, officials said.\n\nRescuers searched collapsed houses in villages "
    "around Tabriz through the night.",
)
QUAKE_A2 = (
    "Tabriz quake toll rises to 40",
    "The death toll from Saturday's 6.1 earthquake near Tabriz rose to 40, with rescuers "
    "still searching villages.\n\nHundreds were injured when houses collapsed.",
)
QUAKE_B = (
    "Magnitude 7.3 earthquake hits Jakarta, tsunami warning issued",
    "A 7.3 magnitude earthquake struck off Java on Tuesday, shaking buildings in Jakarta "
    "and prompting a tsunami warning.\n\nNo casualties were reported so far.",
)


def story_features(*args: Any, **kwargs: Any) -> ArticleFeatures:
    return features_of(story_event(*args, **kwargs))
