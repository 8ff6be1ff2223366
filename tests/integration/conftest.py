"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.store.article_store import ArticleStore
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore
from tests.store_tables import drop_store_tables


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
