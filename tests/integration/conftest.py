"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from shared.settings import Settings


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    """An async Redis client; the test's streams are deleted after it."""
    client = Redis.from_url(settings.redis_url.get_secret_value())
    yield client
    keys = [key async for key in client.scan_iter(f"{settings.stream_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
