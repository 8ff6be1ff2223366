"""Polling the registered feeds: conditional GET, new items onto the raw stream, once each.

Runs inside the fetcher beside the stream subscriber; one replica polls a feed each
interval (turn_poller.py), and the item seen-set makes publishing once-only regardless.
"""

from __future__ import annotations

from redis.asyncio import Redis

from services.fetcher.download import FEED_TYPES, Download
from services.fetcher.feed_items import FeedItem, ParsedFeed, parse_feed_off_loop
from services.fetcher.feeds import Feed, FeedRegistry
from services.fetcher.polite_client import NotModified, PoliteClient
from services.fetcher.publish_once import OncePublisher
from services.fetcher.turn_poller import TurnPoller
from shared.backpressure import RoomGate
from shared.events import RawSubmission, utc_now
from shared.logs import get_logger
from shared.secret_text import masked_urls
from shared.streams import StreamNames

log = get_logger("newsflow.fetcher.feeds")


def submission_for(item: FeedItem, feed: Feed, feed_title: str | None) -> RawSubmission:
    return RawSubmission(
        url=item.url,
        source=feed.source or feed_title,
        via="feed",
        feed_url=masked_urls(feed.url),  # a hint only: the feed is fetched by its record
        hint_title=item.title,
        hint_published_at=item.published_at,
        hint_summary=item.summary,
    )


class FeedPoller(TurnPoller[Feed]):
    kind = "feeds"

    def __init__(
        self,
        redis: Redis,
        names: StreamNames,
        client: PoliteClient,
        *,
        default_interval_s: float,
        seen_ttl_s: int,
        room: RoomGate | None = None,
    ) -> None:
        super().__init__(redis, names, default_interval_s=default_interval_s, room=room)
        self.client = client
        self.registry = FeedRegistry(redis, names)
        self.publisher = OncePublisher(redis, names, seen_ttl_s)

    async def registered(self) -> list[Feed]:
        return await self.registry.feeds()

    def turn(self, feed: Feed) -> tuple[str, float | None]:
        return feed.key, feed.interval_s

    async def poll(self, feed: Feed) -> int:
        state = await self.registry.state(feed.url)
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        state.last_polled_at = utc_now()
        try:
            read = await self._read(feed.url, headers)
        except Exception as exc:
            # A feed that fails now (to download or to parse) is polled again at its next
            # turn; the error is kept for `newsflow feeds list`.
            state.last_status, state.last_error = "error", str(exc)[:500]
            await self.registry.save_state(feed.url, state)
            log.warning("feed_poll_failed", feed=feed.url, error=str(exc)[:500])
            return 0
        if isinstance(read, NotModified):
            state.last_status, state.last_error = "not_modified", None
            await self.registry.save_state(feed.url, state)
            return 0
        result, parsed = read
        published = 0
        for item in parsed.items:
            if not await self.room_to_publish():
                break
            if await self._publish_once(item, feed, parsed.title):
                published += 1
        state.etag, state.last_modified = result.etag, result.last_modified
        state.last_status, state.last_error = f"new:{published}", None
        state.items_published += published
        await self.registry.save_state(feed.url, state)
        log.info("feed_polled", feed=feed.url, items=len(parsed.items), published=published)
        return published

    async def _read(
        self, url: str, headers: dict[str, str]
    ) -> tuple[Download, ParsedFeed] | NotModified:
        result = await self.client.get(url, accepted_types=FEED_TYPES, headers=headers)
        if isinstance(result, NotModified):
            return result
        return result, await parse_feed_off_loop(result.body, result.final_url)

    async def _publish_once(self, item: FeedItem, feed: Feed, feed_title: str | None) -> bool:
        return await self.publisher.publish(submission_for(item, feed, feed_title))
