"""The fetcher as a stage: the clients its work needs, built when the stage starts and
closed when it stops, and its handler (the work itself is `fetch_entry` in fetch.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.fetcher.clients import polite_client
from services.fetcher.feed_poller import FeedPoller
from services.fetcher.fetch import fetch_entry
from services.fetcher.seen import SeenSet
from services.fetcher.source_poller import SourcePoller
from shared.backpressure import RoomGate
from shared.delivery import current_entry_id
from shared.events import ArticleEvent
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.streams import Fields, StreamNames


@asynccontextmanager
async def open_fetcher(settings: Settings) -> AsyncIterator[StageWork]:
    """The polite HTTP client, the seen-set of URLs, the feed poller and the source poller
    (which start polling here and stop when the stage stops)."""
    names = StreamNames(settings.stream_prefix)
    client = polite_client(settings)
    http = client.http
    redis = redis_client(settings)
    seen_urls = SeenSet(redis, names, "url", settings.fetch_seen_window_s)
    poller = FeedPoller(
        redis,
        names,
        client,
        default_interval_s=settings.feed_poll_interval_s,
        seen_ttl_s=settings.feed_seen_ttl_s,
        room=RoomGate(redis, names.raw, names.group_of("fetcher"), settings.max_backlog),
    )

    sources = SourcePoller(
        redis,
        names,
        client,
        default_interval_s=settings.source_poll_interval_s,
        seen_ttl_s=settings.feed_seen_ttl_s,
        sitemap_max_bytes=settings.sitemap_max_bytes,
        max_documents=settings.sitemap_max_documents,
        max_age_s=settings.source_poll_max_age_s,
        room=RoomGate(redis, names.raw, names.group_of("fetcher"), settings.max_backlog),
    )

    async def handle(fields: Fields) -> ArticleEvent | None:
        return await fetch_entry(
            fields,
            client,
            seen_urls,
            max_bytes=settings.max_content_bytes,
            entry_id=current_entry_id(),
        )

    poller.start()
    sources.start()
    try:
        yield StageWork(handle)
    finally:
        await sources.stop()
        await poller.stop()
        await http.aclose()
        await redis.aclose()
