"""Enriched articles made to measure for the api's tests: each says what the filters look
at (date, source, language, countries, entities, topics, places) and nothing else."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

import orjson
import pycountry

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
    Tone,
    Topic,
)
from shared.settings import Settings
from shared.store.backends import opened_store

CONFLICT = ("medtop:16000000", "conflict, war and peace")
POLITICS = ("medtop:11000000", "politics")


def enriched(
    article_id: str,
    *,
    title: str,
    text: str,
    published_at: datetime,
    source: str = "UNN",
    language: str = "en",
    countries: Sequence[str] = (),
    entities: Sequence[tuple[str, str]] = (),
    topics: Sequence[tuple[str, str]] = (),
    places: Sequence[tuple[str, str, int]] = (),
    tone: float = 0.0,
) -> ArticleEvent:
    """`entities`: (type, text); `places`: (name, country, geonames id)."""
    return ArticleEvent(
        id=article_id,
        trace_id=f"trace-{article_id}",
        source=Source(url=f"https://example.com/{article_id}", name=source),
        raw=Raw(content_type="text/html"),
        article=Article(title=title, text=text, published_at=published_at, publisher=source),
        enrichment=Enrichment(
            language=LanguageGuess(code=language, confidence=0.99),
            word_count=len(text.split()),
            reading_time_s=1,
            entities=[
                Entity(type=kind, text=name, label="X", count=1, offsets=[(0, len(name))])  # type: ignore[arg-type]
                for kind, name in entities
            ],
            countries=[
                CountryMention(
                    alpha2=code,
                    alpha3=pycountry.countries.get(alpha_2=code).alpha_3,
                    name=pycountry.countries.get(alpha_2=code).name,
                    count=1,
                    score=1.0,
                    focus=True,
                )
                for code in countries
            ],
            places=[
                Place(name=name, kind="city", country=country, geonames_id=gid, count=1, offsets=[])
                for name, country, gid in places
            ],
            tone=Tone(
                lexicon="vader",
                compound_mean=0.0,
                positive_pct=max(tone, 0.0),
                negative_pct=max(-tone, 0.0),
                tone=tone,
                sentences=1,
            ),
            topics=[Topic(code=code, label=label, score=1.0) for code, label in topics],
        ),
    )


async def store_articles(settings: Settings, events: Sequence[ArticleEvent]) -> None:
    async with opened_store(settings) as store:
        for event in events:
            await store.upsert(event)


def made_cursor(value: object) -> str:
    """A cursor as the api makes them (base64 of JSON), holding what a caller chose."""
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")
