"""The near-duplicate index is bounded in time: an article older than the window is
forgotten (its band memberships, signature, original and timestamp all go) and no later copy
is marked its duplicate; within the window copies still are; window 0 keeps everything."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.enricher.duplicates import DuplicateIndex, open_index
from shared.settings import Settings, get_settings
from shared.streams import StreamNames
from tests.integration.test_duplicates import _edited, _seed_text

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Redis]:
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    yield redis
    keys = [k async for k in redis.scan_iter(f"{settings.stream_prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def index_keys(redis: Redis, prefix: str) -> set[bytes]:
    return {k async for k in redis.scan_iter(f"{prefix}:dedup:*")}


async def age(redis: Redis, prefix: str, article_id: str, seconds: float) -> None:
    """Pretend the article was added `seconds` ago."""
    added = StreamNames(prefix).stream("dedup:added")
    score = await redis.zscore(added, article_id)
    assert score is not None
    await redis.zadd(added, {article_id: score - seconds}, xx=True)


async def test_an_article_older_than_the_window_is_forgotten(
    settings: Settings, client: Redis
) -> None:
    prefix = settings.stream_prefix
    index = DuplicateIndex(client, prefix, window_s=3600)
    text = _seed_text()
    assert await index.check_and_add("old", text) is None
    assert len(await index_keys(client, prefix)) > 3  # bands, signatures, added
    await age(client, prefix, "old", 7200)

    # The copy comes after the window: not a duplicate of what was forgotten...
    assert await index.check_and_add("late-copy", _edited(text)) is None
    names = StreamNames(prefix)
    assert await client.hget(names.stream("dedup:signatures"), "old") is None
    assert await client.zscore(names.stream("dedup:added"), "old") is None
    for key in await index_keys(client, prefix):
        if b":dedup:band:" in key:
            assert not await client.sismember(key, "old"), key  # type: ignore[misc]
    # ...but is itself remembered, and a copy within the window is its duplicate.
    match = await index.check_and_add("prompt-copy", _edited(text) + "\nShare this.")
    assert match is not None and match.original_id == "late-copy"


async def test_forgetting_empties_the_index_once_everything_is_old(
    settings: Settings, client: Redis
) -> None:
    prefix = settings.stream_prefix
    index = DuplicateIndex(client, prefix, window_s=60)
    text = _seed_text()
    for i in range(5):
        await index.check_and_add(f"a{i}", f"{text}\nEdition {i} " + "word " * i)
    assert await index.check_and_add("a-copy", _edited(text)) is not None  # originals too
    for article_id in [f"a{i}" for i in range(5)] + ["a-copy"]:
        await age(client, prefix, article_id, 120)
    forgotten = await index.forget_older_than(cutoff=1e12, limit=100)
    assert forgotten == 6
    assert await index_keys(client, prefix) == set()


async def test_window_zero_remembers_everything(settings: Settings, client: Redis) -> None:
    prefix = settings.stream_prefix
    index = DuplicateIndex(client, prefix, window_s=0)
    text = _seed_text()
    await index.check_and_add("old", text)
    await age(client, prefix, "old", 10 * 365 * 86400)
    match = await index.check_and_add("copy", _edited(text))
    assert match is not None and match.original_id == "old"


async def test_the_stage_opens_the_index_with_the_window_setting(
    monkeypatch: pytest.MonkeyPatch, client: Redis
) -> None:
    monkeypatch.setenv("NEWSFLOW_DEDUP_WINDOW_S", "123")
    get_settings.cache_clear()
    try:
        assert open_index(client, "p").window_s == 123
    finally:
        get_settings.cache_clear()
