"""The fetcher as a stage: the clients its work needs, built when the stage starts and
closed when it stops, and its handler (the work itself is `fetch_entry` in fetch.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.fetcher.download import FetchLimits, make_http_client
from services.fetcher.feed_poller import FeedPoller
from services.fetcher.fetch import fetch_entry
from services.fetcher.polite_client import PoliteClient
from services.fetcher.politeness import HostPoliteness, PolitenessRules
from services.fetcher.seen import SeenSet
from shared.backpressure import RoomGate
from shared.delivery import current_entry_id
from shared.events import ArticleEvent
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.ssrf import parse_allow_list
from shared.stage_app import StageWork
from shared.streams import Fields, StreamNames


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        max_bytes=settings.max_content_bytes,
        timeout_s=settings.fetch_timeout_s,
        connect_timeout_s=settings.fetch_connect_timeout_s,
        read_timeout_s=settings.fetch_read_timeout_s,
        user_agent=settings.user_agent,
    )


def host_politeness(settings: Settings) -> HostPoliteness:
    return HostPoliteness(
        PolitenessRules(
            interval_s=settings.fetch_host_interval_s,
            concurrency=settings.fetch_host_concurrency,
            max_pause_s=settings.fetch_host_max_pause_s,
            max_wait_s=settings.fetch_max_host_wait_s,
        )
    )


@asynccontextmanager
async def open_fetcher(settings: Settings) -> AsyncIterator[StageWork]:
    """The polite HTTP client, the seen-set of URLs and the feed poller (which starts
    polling here and stops when the stage stops)."""
    names = StreamNames(settings.stream_prefix)
    limits = fetch_limits(settings)
    http = make_http_client(limits, parse_allow_list(settings.fetch_allow_networks))
    client = PoliteClient(
        http,
        limits,
        host_politeness(settings),
        robots_ttl_s=settings.fetch_robots_ttl_s,
        obey_robots=settings.fetch_obey_robots,
    )
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

    async def handle(fields: Fields) -> ArticleEvent | None:
        return await fetch_entry(
            fields,
            client,
            seen_urls,
            max_bytes=settings.max_content_bytes,
            entry_id=current_entry_id(),
        )

    poller.start()
    try:
        yield StageWork(handle)
    finally:
        await poller.stop()
        await http.aclose()
        await redis.aclose()
