"""Which backend holds the articles: PostgreSQL when `DATABASE_URL` is a postgres URL, else
SQLite (the embedded default).

The choice lives here, apart from the interface (`article_store.py`), because choosing means
importing the backends, and the backends import the interface.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shared.settings import TABLE_NAME_PATTERN, Settings
from shared.store.article_store import ArticleStore

# The table name is put into SQL text (identifiers cannot be query parameters).
_IDENTIFIER = re.compile(TABLE_NAME_PATTERN)


def checked_table_name(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"table name must match {_IDENTIFIER.pattern}: {name!r}")
    return name


def open_store(settings: Settings, *, serving: bool = False) -> ArticleStore:
    """The configured store, not yet connected (`await store.open()` connects). `serving`:
    for the api, whose requests read PostgreSQL at once (NEWSFLOW_API_DB_CONNECTIONS),
    each cut off past NEWSFLOW_API_QUERY_TIMEOUT_S."""
    table = checked_table_name(settings.table_name)
    # Imported here so SQLite users need no PostgreSQL driver, and the reverse.
    if settings.uses_postgres:
        from shared.store.postgres import PostgresStore

        assert settings.database_url is not None
        return PostgresStore(
            settings.database_url.get_secret_value(),
            table,
            read_pool_size=settings.api_db_connections if serving else 0,
            read_timeout_s=settings.api_query_timeout_s if serving else None,
        )
    from shared.store.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path, table)


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[ArticleStore]:
    """The configured store, connected for the block and closed after it."""
    store = open_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
