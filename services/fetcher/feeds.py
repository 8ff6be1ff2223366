"""The feed registry: which RSS/Atom feeds the fetcher follows, kept in Redis.

Shared by the fetcher's poller and `newsflow feeds add/list/remove`. Two hashes under the
stream prefix: `<prefix>:feeds` (what the user registered, written only by the CLI) and
`<prefix>:feeds:state` (what the poller learnt: ETag, Last-Modified, last poll). Keeping
them apart means a poll that finishes after `feeds remove` cannot bring the feed back.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from shared.events import utc_now
from shared.streams import StreamNames
from shared.urls import is_http_url, normalize_url


class Feed(BaseModel):
    url: str = Field(description="The feed's URL, as added (it is fetched as given).")
    interval_s: float | None = Field(
        default=None, description="Time between polls (s); unset: NEWSFLOW_FEED_POLL_INTERVAL_S."
    )
    source: str | None = Field(default=None, description="Source name given to its articles.")
    added_at: datetime = Field(default_factory=utc_now)

    @property
    def key(self) -> str:
        """The feed's identity: one feed however its URL is spelled."""
        return normalize_url(self.url)


class FeedState(BaseModel):
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_status: str | None = Field(default=None, description="new:N, not_modified or error.")
    last_error: str | None = None
    items_published: int = 0


class FeedRegistry:
    def __init__(self, redis: Redis, names: StreamNames) -> None:
        self.redis = redis
        self.feeds_key = names.stream("feeds")
        self.state_key = names.stream("feeds:state")

    async def add(
        self, url: str, *, interval_s: float | None = None, source: str | None = None
    ) -> Feed:
        if not is_http_url(url):
            raise ValueError(f"not an http(s) URL: {url!r}")
        feed = Feed(url=url.strip(), interval_s=interval_s, source=source)
        await self.redis.hset(self.feeds_key, feed.key, feed.model_dump_json())
        return feed

    async def remove(self, url: str) -> bool:
        key = normalize_url(url)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.feeds_key, key)
            pipe.hdel(self.state_key, key)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def feeds(self) -> list[Feed]:
        stored = await self.redis.hgetall(self.feeds_key)
        return sorted(
            (Feed.model_validate_json(value) for value in stored.values()), key=lambda f: f.url
        )

    async def state(self, url: str) -> FeedState:
        stored = await self.redis.hget(self.state_key, normalize_url(url))
        return FeedState.model_validate_json(stored) if stored else FeedState()

    async def save_state(self, url: str, state: FeedState) -> None:
        # Only for feeds still registered (see the module docstring).
        key = normalize_url(url)
        if await self.redis.hexists(self.feeds_key, key):
            await self.redis.hset(self.state_key, key, state.model_dump_json())
