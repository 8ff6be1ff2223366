"""Fixtures of the api's tests: the api served over the test's own streams and table, on
SQLite (the `settings` fixture's default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from shared.settings import Settings
from tests.api.server import served_api


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The test's settings on each store in turn (its own table, dropped after)."""
    if request.param == "sqlite":
        yield settings
        return
    url = request.getfixturevalue("database_url")
    yield settings.model_copy(update={"database_url": SecretStr(url)})
    with psycopg.connect(url, autocommit=True) as conn:
        for table in [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE %s",
                (f"{settings.table_name}%",),
            )
        ]:
            conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the api on SQLite."""
    async with served_api(settings) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client
