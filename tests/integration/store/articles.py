"""A small, known set of enriched articles for the read-side tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from shared.events import (
    Article,
    ArticleEvent,
    CountryMention,
    Enrichment,
    Entity,
    Place,
    Raw,
    Source,
    Tone,
    Topic,
)

WAR = Topic(code="medtop:16000000", label="conflict, war and peace", score=0.8)
ECONOMY = Topic(code="medtop:04000000", label="economy, business and finance", score=0.6)


def country(code: str) -> CountryMention:
    return CountryMention(alpha2=code, alpha3=code + "X", name=code, count=1, score=1.0, focus=True)


def entity(text: str, count: int = 1, kind: str = "person") -> Entity:
    return Entity(type=kind, text=text, label="PERSON", count=count, offsets=[(0, 1)] * count)  # type: ignore[arg-type]


def article_event(
    n: int,
    title: str,
    text: str,
    *,
    published: datetime | None,
    source: str = "UNN",
    language: str = "en",
    countries: tuple[str, ...] = (),
    entities: tuple[str, ...] = (),
    topics: tuple[Topic, ...] = (),
    places: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
    tone: float | None = -1.0,
) -> ArticleEvent:
    return ArticleEvent(
        id=f"art{n:03d}",
        trace_id=f"trace{n}",
        source=Source(name=source, url=f"https://example.com/{n}"),
        raw=Raw(content_type="text/plain"),
        article=Article(
            title=title,
            text=text,
            published_at=published,
            language=language,
            authors=list(authors),
            publisher=source,
        ),
        enrichment=Enrichment(
            word_count=len(text.split()),
            reading_time_s=1,
            countries=[country(c) for c in countries],
            entities=[entity(e, count=i + 1) for i, e in enumerate(entities)],
            topics=list(topics),
            places=[
                Place(
                    name=p,
                    kind="city",
                    country="KP",
                    geonames_id=1000 + i,
                    lat=1.0,
                    lon=2.0,
                    count=1,
                    offsets=[],
                )
                for i, p in enumerate(places)
            ],
            tone=None
            if tone is None
            else Tone(
                lexicon="vader",
                compound_mean=0.1,
                positive_pct=max(tone, 0.0),
                negative_pct=max(-tone, 0.0),
                tone=tone,
                sentences=3,
            ),
        ),
    )


def day(month: int, d: int, hour: int = 12) -> datetime:
    return datetime(2020, month, d, hour, tzinfo=UTC)


KST = timezone(timedelta(hours=9))

ARTICLES = [
    article_event(
        1,
        "Missile test near Pyongyang",
        "North Korea fired a missile from Pyongyang on Monday, officials in Seoul said.",
        published=day(1, 6),
        countries=("KP", "KR"),
        entities=("Kim Jong Un", "Moon Jae-in"),
        topics=(WAR,),
        places=("Pyongyang",),
        authors=("Ann Lee",),
    ),
    article_event(
        2,
        "Moscow talks",
        "Russia and North Korea held talks in Moscow about the missile programme.",
        published=day(1, 20),
        source="TASS",
        language="ru",
        countries=("RU", "KP"),
        entities=("Vladimir Putin", "Kim Jong Un"),
        topics=(WAR,),
        places=("Moscow",),
        tone=-4.5,
    ),
    # Published 01:00 on 3 February in Seoul: 2 February, 16:00 UTC.
    article_event(
        3,
        "Markets calm",
        "Stock markets in Seoul stayed calm after the missile news.",
        published=datetime(2020, 2, 3, 1, tzinfo=KST),
        source="Yonhap",
        countries=("KR",),
        entities=("Moon Jae-in",),
        topics=(ECONOMY,),
        authors=("Bo Kim",),
        tone=2.0,
    ),
    article_event(
        4,
        "Harvest festival",
        "The village celebrated its apple harvest on Sunday.",
        published=day(3, 1),
        source="Local",
        language="de",
    ),
    article_event(
        5,
        "Undated note",
        "An apple a day, without a date.",
        published=None,
        source="Local",
        tone=None,  # no lexicon for its language: outside every tone range
    ),
    article_event(
        6,
        "Second missile",
        "Another missile was fired, Pyongyang confirmed.",
        published=day(1, 6),
        countries=("KP",),
        entities=("Kim Jong Un",),
        topics=(WAR,),
    ),
]
