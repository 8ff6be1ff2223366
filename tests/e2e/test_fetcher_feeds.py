"""A feed served locally, followed by the running fetcher, its items stored by the sink."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis

from services.fetcher.feeds import FeedRegistry
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.streams import StreamNames
from tests.e2e.fetcher_support import FETCH_ENV, progress, stored
from tests.e2e.harness import running_stages, wait_until
from tests.integration.fetcher.feed_site import FeedSite
from tests.integration.fetcher.local_server import local_server

pytestmark = pytest.mark.e2e


def follow(settings: Settings, feed_url: str) -> None:
    async def add() -> None:
        redis = redis_client(settings)
        try:
            await FeedRegistry(redis, StreamNames(settings.stream_prefix)).add(feed_url)
        finally:
            await redis.aclose()

    asyncio.run(add())


def test_a_feed_is_followed_each_item_stored_once(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = FeedSite(server, items=20)
        follow(settings, site.feed_url)
        with running_stages(settings, tmp_path / "logs", **FETCH_ENV):
            urls = [site.item_url(n) for n in range(1, 21)]
            try:
                wait_until(lambda: len(stored(settings, urls)) == 20, 90, "20 articles stored")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; {progress(client, settings)}") from exc
            events = stored(settings, urls)
            assert all(e.article and "Story number" in e.article.text for e in events.values())
            assert {e.source.name for e in events.values()} == {"Local News"}

            # Polled again and again (every 0.5 s): the ETag is unchanged, the server answers
            # 304, and nothing new is published.
            polls = site.not_modified
            wait_until(lambda: site.not_modified >= polls + 3, 60, "three more polls")
            assert client.xlen(names.raw) == 20

            site.add_item()
            new_url = site.item_url(21)
            wait_until(lambda: bool(stored(settings, [new_url])), 60, "the new item stored")
            polls = site.not_modified
            wait_until(lambda: site.not_modified >= polls + 3, 60, "three more polls")
            assert client.xlen(names.raw) == 21
            assert len(stored(settings, [*urls, new_url])) == 21
            assert len(server.requests_to("/news/story-21")) == 1
