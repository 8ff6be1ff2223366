"""What the read side answers: a page of article summaries, counts over time, top values.

A summary is made from the stored event JSON (a dict) in Python, the same way for both
stores, so they answer alike; only the snippet comes from the database's full-text search.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from shared.store.article_query import Interval, QueryError

# What marks a match in a snippet while it is still plain text: private-use characters,
# which no article uses, replaced by <mark> after the text is HTML-escaped.
MARK_START = "\ue000"
MARK_END = "\ue001"
SNIPPET_CHARS = 240
TOP_ENTITIES = 5


class EntitySummary(BaseModel):
    type: str
    text: str
    count: int


class TopicSummary(BaseModel):
    code: str
    label: str
    score: float


class ArticleSummary(BaseModel):
    id: str
    url: str | None
    title: str | None
    source: str | None
    publisher: str | None
    language: str | None
    published_at: datetime | None
    snippet: str  # HTML: escaped text, matches in <mark></mark>
    countries: list[str]
    entities: list[EntitySummary]
    topics: list[TopicSummary]
    tone: float | None
    story_id: str | None = Field(
        default=None, description="The story the article is in (a merged story's new id)."
    )
    story_size: int | None = Field(default=None, description="Articles in that story.")
    story_sources: int | None = Field(
        default=None, description="Distinct sources in that story (unknown on the live stream)."
    )


# How many matches a page counts at most: counting a million matches of a common word
# took seconds, and nobody pages that far; above it `total` is this lower bound.
TOTAL_CAP = 10_000
# On PostgreSQL relevance ranks the newest this many matches, not every one: ranking reads
# each match's stored text vector, and a word of every article took 9-13 s to rank in a
# million; a news search is for what is recent. Below it (most searches) the order is exact.
RELEVANCE_WINDOW = TOTAL_CAP


class ArticlePage(BaseModel):
    total: int
    items: list[ArticleSummary]
    next: str | None
    total_is_lower_bound: bool = False


class Bucket(BaseModel):
    start: date
    count: int


class FacetCount(BaseModel):
    value: str
    count: int


def snippet_html(marked: str | None) -> str:
    text = html.escape(marked or "", quote=False)
    return text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def summary_of(
    row: tuple[str, str | None, str | None, str | None, str | None],
    event: dict[str, Any],
    marked_snippet: str | None,
    story: tuple[str | None, int | None, int | None] | None = None,
) -> ArticleSummary:
    """`row`: the stored columns id, url, title, source, language; `story`: its story's
    id, size and sources as stored, else (an article not yet stored) as the event says."""
    article = event.get("article") or {}
    enrichment = event.get("enrichment") or {}
    if marked_snippet is None:
        marked_snippet = " ".join(str(article.get("text") or "")[:SNIPPET_CHARS].split())
    entities = sorted(enrichment.get("entities") or [], key=lambda e: -int(e.get("count", 0)))
    tone = (enrichment.get("tone") or {}).get("tone")
    published = article.get("published_at")
    if story is None:
        link = enrichment.get("story") or {}
        story = (link.get("id"), link.get("size"), None)
    return ArticleSummary(
        id=row[0],
        url=row[1],
        title=row[2],
        source=row[3],
        publisher=article.get("publisher"),
        language=row[4],
        published_at=datetime.fromisoformat(published) if published else None,
        snippet=snippet_html(marked_snippet),
        countries=[c["alpha2"] for c in enrichment.get("countries") or []],
        entities=[
            EntitySummary(type=e["type"], text=e["text"], count=e["count"])
            for e in entities[:TOP_ENTITIES]
        ],
        topics=[
            TopicSummary(code=t["code"], label=t["label"], score=t["score"])
            for t in enrichment.get("topics") or []
        ],
        tone=float(tone) if tone is not None else None,
        story_id=story[0],
        story_size=int(story[1]) if story[1] is not None else None,
        story_sources=int(story[2]) if story[2] is not None else None,
    )


def bucket_start(day: date, interval: Interval) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_start(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


MAX_BUCKETS = 20_000


def zero_filled(
    per_day: dict[date, int], interval: Interval, first: date | None, last: date | None
) -> list[Bucket]:
    """Days' counts folded into buckets, every bucket from `first` to `last` present."""
    if first is None or last is None:
        if not per_day:
            return []
        first, last = first or min(per_day), last or max(per_day)
    counts: dict[date, int] = {}
    for day, count in per_day.items():
        counts[bucket_start(day, interval)] = counts.get(bucket_start(day, interval), 0) + count
    if (last - first).days // {"day": 1, "week": 7, "month": 28}[interval] > MAX_BUCKETS:
        raise QueryError(f"more than {MAX_BUCKETS} {interval}s: narrow the dates")
    buckets = []
    start = bucket_start(first, interval)
    while start <= last:
        buckets.append(Bucket(start=start, count=counts.get(start, 0)))
        try:
            start = _next_start(start, interval)
        except OverflowError:  # the bucket of 9999-12-31 ends where time (a date) ends
            break
    return buckets
