"""Feeds polled from a real local server into a real Redis."""

from __future__ import annotations

import re

import orjson
import pytest
from redis.asyncio import Redis

from services.fetcher.feed_poller import FeedPoller
from services.fetcher.feeds import FeedRegistry
from services.fetcher.polite_client import PoliteClient
from shared.events import RawSubmission
from shared.settings import Settings
from shared.streams import StreamNames
from tests.integration.fetcher.conftest import ClientFactory
from tests.integration.fetcher.feed_site import FeedSite
from tests.integration.fetcher.local_server import Reply, SeenRequest, local_server

pytestmark = pytest.mark.integration


async def published(redis: Redis, names: StreamNames) -> list[RawSubmission]:
    entries = await redis.xrange(names.raw)
    return [RawSubmission.model_validate(orjson.loads(fields[b"data"])) for _, fields in entries]


def poller_of(redis: Redis, names: StreamNames, client: PoliteClient) -> FeedPoller:
    return FeedPoller(redis, names, client, default_interval_s=60, seen_ttl_s=3600)


async def test_new_items_are_published_once_with_their_hints(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = FeedSite(server, items=20)
        feed = await FeedRegistry(redis, names).add(site.feed_url)
        poller = poller_of(redis, names, await make_client())

        assert await poller.poll(feed) == 20
        first = await published(redis, names)
        assert sorted(s.url or "" for s in first) == sorted(site.item_url(n) for n in range(1, 21))
        story_7 = next(s for s in first if s.url == site.item_url(7))
        assert story_7.via == "feed"
        assert story_7.feed_url == site.feed_url
        assert story_7.source == "Local News"
        assert story_7.hint_title == "Story number 7"
        assert story_7.hint_summary == "Summary of story 7"
        assert story_7.hint_published_at is not None
        assert story_7.hint_published_at.hour == 15

        # Unchanged: the ETag comes back, the server answers 304, nothing is published.
        assert await poller.poll(feed) == 0
        assert site.not_modified == 1
        assert len(await published(redis, names)) == 20

        site.add_item()
        assert await poller.poll(feed) == 1
        after = await published(redis, names)
        assert len(after) == 21
        assert after[-1].url == site.item_url(21)
        state = await FeedRegistry(redis, names).state(feed.url)
        assert state.items_published == 21
        assert state.etag is not None


async def test_items_seen_before_are_not_published_again_without_an_etag(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = FeedSite(server, items=5)
        registry = FeedRegistry(redis, names)
        feed = await registry.add(site.feed_url)
        poller = poller_of(redis, names, await make_client())
        assert await poller.poll(feed) == 5
        await registry.save_state(
            feed.url,
            (await registry.state(feed.url)).model_copy(
                update={"etag": None, "last_modified": None}
            ),
        )
        assert await poller.poll(feed) == 0  # a full 200 this time, every item already seen
        assert site.not_modified == 0
        assert len(await published(redis, names)) == 5


async def test_a_feed_is_polled_once_per_interval(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = FeedSite(server, items=2)
        await FeedRegistry(redis, names).add(site.feed_url, interval_s=60)
        client = await make_client()
        one, other = poller_of(redis, names, client), poller_of(redis, names, client)
        assert await one.poll_due() == 2
        assert await other.poll_due() == 0  # another replica: not due yet
        assert await one.poll_due() == 0
        assert len(server.requests_to("/feed.xml")) == 1


async def test_removed_feeds_are_not_polled(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    registry = FeedRegistry(redis, names)
    with local_server() as server:
        site = FeedSite(server, items=2)
        await registry.add(site.feed_url)
        assert [f.url for f in await registry.feeds()] == [site.feed_url]
        assert await registry.remove(site.feed_url)
        assert not await registry.remove(site.feed_url)
        poller = poller_of(redis, names, await make_client())
        assert await poller.poll_due() == 0
        assert server.requests_to("/feed.xml") == []


async def test_an_item_dated_past_year_9999_costs_only_its_date(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = FeedSite(server, items=3)
        real_feed = server.routes["/feed.xml"]

        def feed_with_a_far_date(request: SeenRequest) -> Reply:
            reply = real_feed(request)
            far = b"<pubDate>9999-12-31T23:59:59-12:00</pubDate>"
            body = re.sub(rb"<pubDate>[^<]*</pubDate>", far, reply.body, count=1)
            return Reply(body=body, headers=reply.headers)

        server.routes["/feed.xml"] = feed_with_a_far_date
        feed = await FeedRegistry(redis, names).add(site.feed_url)
        poller = poller_of(redis, names, await make_client())
        assert await poller.poll(feed) == 3
        dates = {s.url: s.hint_published_at for s in await published(redis, names)}
        assert dates[site.item_url(3)] is None  # the newest, listed first, had the far date
        assert dates[site.item_url(1)] is not None


async def test_a_feed_that_fails_to_parse_records_its_error(
    settings: Settings, redis: Redis, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse_fails(_body: bytes, _url: str) -> None:
        raise ValueError("year 10000 is out of range")

    monkeypatch.setattr("services.fetcher.feed_items.parse_feed", parse_fails)
    names = StreamNames(settings.stream_prefix)
    registry = FeedRegistry(redis, names)
    with local_server() as server:
        site = FeedSite(server, items=2)
        feed = await registry.add(site.feed_url)
        poller = poller_of(redis, names, await make_client())
        assert await poller.poll(feed) == 0
        state = await registry.state(feed.url)
    assert state.last_status == "error"
    assert state.last_error == "year 10000 is out of range"
    assert state.last_polled_at is not None
