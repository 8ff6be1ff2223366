"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from shared.store.article_store import ArticleStore
from shared.store.facet_rows import SIDE_TABLES
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore
from shared.store.story_tables import STORY_TABLES


@pytest.fixture(params=["postgres", "sqlite"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, table_name: str
) -> AsyncIterator[ArticleStore]:
    """Each store adapter in turn, opened on a table of this test's own (dropped after)."""
    adapter: ArticleStore
    if request.param == "postgres":
        url = request.getfixturevalue("database_url")
        adapter = PostgresStore(url, table_name)
    else:
        adapter = SqliteStore(tmp_path / "store.db", table_name)
    await adapter.open()
    yield adapter
    await adapter.close()
    if request.param == "postgres":
        drop_store_tables(url, table_name)


def drop_store_tables(url: str, table: str) -> None:
    """The article table and the side tables the store made beside it."""
    names = [table, *(f"{table}_{side}" for side in (*SIDE_TABLES, *STORY_TABLES, "meta"))]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {', '.join(names)}")
