"""A test's store tables reached behind the store's back, and cleaned up after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from shared.store.article_store import ArticleStore
from shared.store.postgres import SCHEMA_VERSION_KEY, PostgresStore
from shared.store.sqlite import SqliteStore

# An earlier release kept no schema version (the PostgreSQL store skips a current schema).
EARLIER_SCHEMA = f"DELETE FROM {{table}}_meta WHERE key = '{SCHEMA_VERSION_KEY}'"


def behind_the_store(
    store: ArticleStore, database_url: str, statements: Sequence[str]
) -> list[tuple[Any, ...]]:
    """`statements` run on the store's own database, not through the store (a table made
    to look as an earlier release left it, or read as the store wrote it): the last one's
    rows."""
    rows: list[tuple[Any, ...]] = []
    if isinstance(store, PostgresStore):
        with psycopg.connect(database_url, autocommit=True) as conn:
            for statement in statements:
                cursor = conn.execute(statement)  # type: ignore[call-overload]
                rows = cursor.fetchall() if cursor.description else []
        return rows
    assert isinstance(store, SqliteStore)
    for statement in statements:
        rows = store.db.execute(statement).fetchall()
    return rows


def drop_store_tables(url: str, table: str) -> None:
    """The article table and every table the store made beside it (`<table>_<side>`), found
    by name rather than listed, so tables a later store version adds are dropped too."""
    pattern = table.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename LIKE %s",
                (pattern,),
            )
        ]
        if tables:
            names = sql.SQL(", ").join(sql.Identifier(name) for name in tables)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(names))
