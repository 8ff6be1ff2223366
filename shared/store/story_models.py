"""What the read side answers about stories: a page of story summaries, one story with its
articles. Made from the stories table's row (story_tables.py), the same for both stores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field

from shared.store.read_models import ArticleSummary

# How many of its articles a story's answer holds; the rest: /api/articles?story=<id>.
STORY_ARTICLES = 100


class StoryEntity(BaseModel):
    text: str
    type: str
    count: int = Field(description="Articles of the story naming it.")


class StoryPlace(BaseModel):
    name: str
    geonames_id: int | None
    count: int


class StoryCountry(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-2.")
    count: int


class StorySummary(BaseModel):
    id: str
    headline: str | None = Field(description="The title of the story's first article.")
    headline_article_id: str
    first_seen: datetime = Field(
        description="The earliest published_at (else arrival) of its articles."
    )
    last_seen: datetime
    article_count: int
    source_count: int = Field(description="Distinct sources among its articles.")
    sources: list[str] = Field(description="Most articles first.")
    languages: list[str]
    entities: list[StoryEntity] = Field(description="The most named, at most 10.")
    places: list[StoryPlace]
    countries: list[StoryCountry]


class StoryPage(BaseModel):
    total: int
    items: list[StorySummary]
    next: str | None
    total_is_lower_bound: bool = False


class StoryDetail(StorySummary):
    aliases: list[str] = Field(description="Ids of stories merged into this one.")
    articles: list[ArticleSummary] = Field(
        description=f"Its articles, oldest first, at most {STORY_ARTICLES}: the rest through "
        "/api/articles?story=<id>."
    )


STORY_COLUMNS = (
    "s.id, s.headline, s.headline_article_id, s.first_seen, s.last_seen, s.article_count,"
    " s.source_count, s.sources, s.languages, s.entities, s.places, s.countries"
)


def story_of(row: tuple[Any, ...]) -> StorySummary:
    """A row of STORY_COLUMNS (times as the store gives them: datetimes or ISO text)."""
    return StorySummary(
        id=row[0],
        headline=row[1],
        headline_article_id=row[2],
        first_seen=row[3],
        last_seen=row[4],
        article_count=int(row[5]),
        source_count=int(row[6]),
        sources=orjson.loads(row[7]),
        languages=orjson.loads(row[8]),
        entities=[StoryEntity(**e) for e in orjson.loads(row[9])],
        places=[StoryPlace(**p) for p in orjson.loads(row[10])],
        countries=[StoryCountry(**c) for c in orjson.loads(row[11])],
    )
