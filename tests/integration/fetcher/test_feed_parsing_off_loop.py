"""A heavy feed never holds the fetcher's event loop: the feed poller, a source's feeds and
discovery all parse feeds in a thread, so other work goes on meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import feedparser  # type: ignore[import-untyped]
import pytest
from redis.asyncio import Redis

from services.fetcher.discovery import discover
from services.fetcher.feed_poller import FeedPoller
from services.fetcher.feeds import FeedRegistry
from services.fetcher.source_documents import read_feeds
from shared.settings import Settings
from shared.streams import StreamNames
from tests.integration.fetcher.conftest import ClientFactory
from tests.integration.fetcher.local_server import LocalServer, Reply, local_server, page

pytestmark = pytest.mark.integration

# One item whose description is 20,000 tags: under a second of feedparser on an idle machine,
# all of it on the event loop when parsed there.
HEAVY_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Heavy</title><item>'
    b"<link>https://news.example/one</link><description>"
    + b"<b>x</b>" * 20_000
    + b"</description></item></channel></rss>"
)


class ParseWatch:
    """Counts the ticks a concurrent task makes while feedparser is parsing: none at all
    when the parse runs on the event loop, whatever the machine's load."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsing = False
        self.ticks_while_parsing = 0
        real_parse = feedparser.parse

        def watched_parse(*args: Any, **kwargs: Any) -> Any:
            self.parsing = True
            try:
                return real_parse(*args, **kwargs)
            finally:
                self.parsing = False

        monkeypatch.setattr(feedparser, "parse", watched_parse)

    @contextlib.asynccontextmanager
    async def ticking(self) -> AsyncIterator[None]:
        async def tick() -> None:
            while True:
                await asyncio.sleep(0.005)
                self.ticks_while_parsing += self.parsing

        ticker = asyncio.create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker


def serve_heavy_feed(server: LocalServer, path: str = "/feed.xml") -> str:
    server.routes[path] = lambda _r: Reply(
        body=HEAVY_FEED, headers={"Content-Type": "application/rss+xml"}
    )
    return server.url(path)


async def test_the_feed_poller_parses_off_the_event_loop(
    settings: Settings,
    redis: Redis,
    make_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watch = ParseWatch(monkeypatch)
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        feed = await FeedRegistry(redis, names).add(serve_heavy_feed(server))
        poller = FeedPoller(
            redis, names, await make_client(), default_interval_s=60, seen_ttl_s=3600
        )
        async with watch.ticking():
            assert await poller.poll(feed) == 1
    assert watch.ticks_while_parsing >= 3


async def test_a_sources_feeds_are_parsed_off_the_event_loop(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = ParseWatch(monkeypatch)
    with local_server() as server:
        url = serve_heavy_feed(server)
        client = await make_client()
        async with watch.ticking():
            read = await read_feeds(client, [url])
    assert [article.url for article in read.articles] == ["https://news.example/one"]
    assert watch.ticks_while_parsing >= 3


async def test_discovery_parses_feeds_off_the_event_loop(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = ParseWatch(monkeypatch)
    with local_server() as server:
        server.routes["/"] = page("<html><body><p>No links here.</p></body></html>")
        url = serve_heavy_feed(server)
        client = await make_client()
        async with watch.ticking():
            found = await discover(
                client, server.url("/"), sitemap_max_bytes=1 << 20, max_documents=5
            )
    assert found.feeds == [url]
    assert watch.ticks_while_parsing >= 3
