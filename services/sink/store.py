"""The article store: the port the sink writes through and `newsflow search` reads through.

Two adapters: PostgreSQL when `DATABASE_URL` is a postgres URL, else SQLite (the embedded
default). Both upsert on the article id, so a redelivered or republished article is one
row, keep the whole event as JSON beside searchable columns, and index title and text for
full-text search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.events import ArticleEvent
from shared.settings import Settings

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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

    async def get(self, article_id: str) -> ArticleEvent | None: ...

    async def count(self) -> int: ...

    async def search(self, query: str, limit: int = 20) -> list[StoredArticle]: ...

    async def ping(self) -> bool: ...


def checked_table_name(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"table name must match {_IDENTIFIER.pattern}: {name!r}")
    return name


def open_store(settings: Settings) -> ArticleStore:
    table = checked_table_name(settings.table_name)
    if settings.uses_postgres:
        from services.sink.postgres import PostgresStore

        assert settings.database_url is not None
        return PostgresStore(settings.database_url.get_secret_value(), table)
    from services.sink.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path, table)
