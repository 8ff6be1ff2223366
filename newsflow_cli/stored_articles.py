"""The article store as the CLI reads it: opened when it exists, never created by a reader.

The sink creates the store; a `newsflow search` run in the wrong folder must say there is
no store there, not leave an empty `newsflow.db` behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from shared.settings import Settings
from shared.store.article_store import ArticleStore
from shared.store.backends import opened_store


def missing_store(settings: Settings) -> Path | None:
    """The SQLite file the settings name, when it does not exist (PostgreSQL: None)."""
    if settings.uses_postgres or settings.sqlite_path.is_file():
        return None
    return settings.sqlite_path


@asynccontextmanager
async def stored_articles(settings: Settings) -> AsyncIterator[ArticleStore | None]:
    """The open store, or None when it is an SQLite file that does not exist."""
    if missing_store(settings) is not None:
        yield None
        return
    async with opened_store(settings) as store:
        yield store
