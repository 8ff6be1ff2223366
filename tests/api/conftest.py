"""Fixtures of the api's tests: the api served over the test's own streams and table, on
SQLite (the `settings` fixture's default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from shared.settings import Settings
from tests.api.server import served_api


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the api on SQLite."""
    async with served_api(settings) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client
