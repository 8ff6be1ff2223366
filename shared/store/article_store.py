"""The article store's interface: what the sink writes through and `newsflow search` reads
through, and the rows both sides exchange.

Two backends implement it (`postgres.py`, `sqlite.py`; `backends.py` chooses one). Both
upsert on the article id, so a redelivered or republished article is one row, keep the whole
event as JSON beside searchable columns, and index title and text for full-text search.
This module never imports a backend: they import it, so the two cannot form a cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.alerts.definition import AlertDefinition
from shared.events import ArticleEvent
from shared.store.article_query import ArticleQuery, Interval
from shared.store.read_models import TOTAL_CAP, ArticlePage, ArticleSummary, Bucket, FacetCount
from shared.store.story_models import StoryDetail, StoryPage
from shared.store.story_query import StoryQuery


@dataclass(frozen=True)
class StoredArticle:
    id: str
    title: str | None
    url: str | None
    source: str | None
    language: str | None
    published_at: datetime | None
    stored_at: datetime
    snippet: str


@dataclass(frozen=True)
class ArticleRow:
    """The searchable columns of one event; the event itself is stored whole beside them."""

    id: str
    trace_id: str
    url: str | None
    title: str | None
    body: str
    source: str | None
    language: str | None
    published_at: datetime | None
    word_count: int | None
    event_json: str

    @classmethod
    def of(cls, event: ArticleEvent) -> ArticleRow:
        article = event.article
        enrichment = event.enrichment
        language = (
            enrichment.language.code
            if enrichment and enrichment.language
            else (article.language if article else None)
        )
        return cls(
            id=event.id,
            trace_id=event.trace_id,
            url=(article.canonical_url if article and article.canonical_url else event.source.url),
            title=article.title if article else None,
            body=article.text if article else "",
            source=event.source.name or (article.publisher if article else None),
            language=language,
            published_at=article.published_at if article else None,
            word_count=enrichment.word_count if enrichment else None,
            event_json=event.to_json().decode(),
        )


class ArticleStore(Protocol):
    async def open(self) -> None:
        """Connect and create the schema if it is missing."""

    async def close(self) -> None: ...

    async def upsert(self, event: ArticleEvent) -> None:
        """Insert the article, or replace the stored one with the same id."""

    async def upsert_many(self, events: Sequence[ArticleEvent]) -> list[Exception | None]:
        """Each article upserted as by `upsert`, all in one transaction, each in a savepoint
        of its own: one the store refuses is rolled back alone. Each article's outcome, in
        order: None when stored, else its own error (Rejected for data the store refuses).
        Raises Unavailable, nothing stored, when the store itself cannot be written."""

    async def get(self, article_id: str) -> ArticleEvent | None: ...

    async def count(self) -> int: ...

    async def search_text(self, query: str, limit: int = 20) -> list[StoredArticle]:
        """Matches in title or text, `query` in the read side's web-search syntax (words,
        "a phrase", a OR b, -word: article_query.py): what `newsflow search` prints."""

    # The read side (read_sql.py, the same SQL for both stores). Every method raises
    # QueryError for a malformed query, facet or interval, and nothing else for user input.

    async def search(self, query: ArticleQuery, total_cap: int | None = TOTAL_CAP) -> ArticlePage:
        """A page of matches in the query's sort, with the total and the next page's cursor;
        the total counts up to total_cap matches (None: all of them)."""

    async def get_event(self, article_id: str) -> dict[str, Any] | None:
        """The whole stored event, as JSON."""

    async def counts(self, query: ArticleQuery, interval: Interval) -> list[Bucket]:
        """Matches per day, week (from Monday) or month of published_at, zero-filled from the
        query's dates, or else from the first to the last match."""

    async def top(self, query: ArticleQuery, facet: str, limit: int = 20) -> list[FacetCount]:
        """The commonest values of a facet (article_query.FACETS) among the matches."""

    def export(self, query: ArticleQuery) -> AsyncIterator[ArticleSummary]:
        """Every match, in the query's sort, streamed with bounded memory; the snippet is the
        start of the text, unmarked."""

    # Stories (story_tables.py keeps them in the article's transaction; story_sql.py reads).

    async def stories(self, query: StoryQuery, total_cap: int | None = TOTAL_CAP) -> StoryPage:
        """A page of stories with at least one article matching the filters, in the
        query's sort (size: most articles first; recent: latest seen first)."""

    async def story(self, story_id: str) -> StoryDetail | None:
        """The story with its articles; an id merged into another story gives that one."""

    async def ping(self) -> bool: ...

    # Alerts (shared/alerts/definition.py), in the table `<table>_alerts` (alert_rows.py).
    # Whoever adds or removes one also bumps the alerts' version in Redis
    # (shared/alerts/catalog.py does both), so the matching stage reloads them.

    async def add_alert(self, alert: AlertDefinition) -> bool:
        """Store a new alert; False (and nothing written) when its name is taken."""

    async def get_alert(self, name: str) -> AlertDefinition | None: ...

    async def list_alerts(self) -> list[AlertDefinition]:
        """Every alert, by name."""

    async def remove_alert(self, name: str) -> bool:
        """False when there was no alert of that name."""
