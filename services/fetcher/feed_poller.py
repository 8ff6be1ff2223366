"""Polling the registered feeds: conditional GET, new items onto the raw stream, once each.

Runs inside the fetcher beside the stream subscriber. With several fetcher replicas each
runs a poller; a per-feed "due" key (SET NX with the interval as expiry) makes one of them
poll a feed per interval, and the item seen-set makes publishing once-only regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

from redis.asyncio import Redis

from services.fetcher.download import FEED_TYPES
from services.fetcher.feed_items import FeedItem, parse_feed
from services.fetcher.feeds import Feed, FeedRegistry
from services.fetcher.polite_client import NotModified, PoliteClient
from services.fetcher.publish_once import OncePublisher
from shared.backpressure import RoomGate
from shared.events import RawSubmission, utc_now
from shared.logs import get_logger
from shared.streams import StreamNames

log = get_logger("newsflow.fetcher.feeds")

# How often the poller looks for feeds that are due, at most; a feed's own interval decides
# when it is polled.
_TICK_S = 1.0


def submission_for(item: FeedItem, feed: Feed, feed_title: str | None) -> RawSubmission:
    return RawSubmission(
        url=item.url,
        source=feed.source or feed_title,
        via="feed",
        feed_url=feed.url,
        hint_title=item.title,
        hint_published_at=item.published_at,
        hint_summary=item.summary,
    )


class FeedPoller:
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
        self.redis = redis
        self.names = names
        self.client = client
        self.registry = FeedRegistry(redis, names)
        self.publisher = OncePublisher(redis, names, seen_ttl_s)
        self.default_interval_s = default_interval_s
        # Publishing waits while the fetcher is too far behind, as the CLI's publish does.
        self.room = room
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever(), name="feed-poller")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def poll_due_feeds(self) -> int:
        """Poll every feed whose interval has passed. Returns how many items were published."""
        due = [feed for feed in await self.registry.feeds() if await self._claim_turn(feed)]
        # Concurrently, so one slow feed does not delay the others; each host's politeness
        # gate still spaces requests to it.
        return sum(await asyncio.gather(*(self.poll(feed) for feed in due)))

    async def poll(self, feed: Feed) -> int:
        state = await self.registry.state(feed.url)
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        state.last_polled_at = utc_now()
        try:
            result = await self.client.get(feed.url, accepted_types=FEED_TYPES, headers=headers)
        except Exception as exc:
            # A feed that fails now is polled again at its next turn; the error is kept for
            # `newsflow feeds list`.
            state.last_status, state.last_error = "error", str(exc)[:500]
            await self.registry.save_state(feed.url, state)
            log.warning("feed_poll_failed", feed=feed.url, error=str(exc)[:500])
            return 0
        if isinstance(result, NotModified):
            state.last_status, state.last_error = "not_modified", None
            await self.registry.save_state(feed.url, state)
            return 0
        parsed = parse_feed(result.body, result.final_url)
        published = 0
        for item in parsed.items:
            if self.room is not None and await self.room.wait(self._stopping) is None:
                break  # shutting down; the rest is published at the next poll
            if await self._publish_once(item, feed, parsed.title):
                published += 1
        state.etag, state.last_modified = result.etag, result.last_modified
        state.last_status, state.last_error = f"new:{published}", None
        state.items_published += published
        await self.registry.save_state(feed.url, state)
        log.info("feed_polled", feed=feed.url, items=len(parsed.items), published=published)
        return published

    async def _publish_once(self, item: FeedItem, feed: Feed, feed_title: str | None) -> bool:
        return await self.publisher.publish(submission_for(item, feed, feed_title))

    async def _claim_turn(self, feed: Feed) -> bool:
        interval = feed.interval_s or self.default_interval_s
        digest = hashlib.sha256(feed.key.encode()).hexdigest()[:32]
        key = self.names.stream(f"feeds:due:{digest}")
        return bool(await self.redis.set(key, b"1", nx=True, px=max(1, int(interval * 1000))))

    async def _poll_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.poll_due_feeds()
            except Exception:
                log.exception("feed_poller_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._tick_s())

    def _tick_s(self) -> float:
        return min(_TICK_S, self.default_interval_s)
