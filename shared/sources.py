"""The source registry: sites newsflow follows through their feeds and sitemaps, in Redis.

Beside the feed registry and kept the same way, for the same reasons: the fetcher already
reads its work list from Redis, several fetcher replicas share it, and the CLI, the fetcher
and the api all reach Redis while only the sink and the api open the store. In `shared/`
because the fetcher (which polls), the CLI (which adds) and the api (which lists) all read
it. Four keys under the stream prefix:

    <prefix>:sources            key -> SourceRecord   (written by `newsflow sources add/remove`)
    <prefix>:sources:state      key -> SourceState    (written by the poller, one per turn)
    <prefix>:sources:published  key -> count          (HINCRBY in the publish-once script)
    <prefix>:sources:due:<sha>  the poll-turn claim   (SET NX PX interval)

As with feeds, state is saved only while the source is registered, so a poll that ends
after `sources remove` cannot bring it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from shared.events import utc_now
from shared.secret_text import masked_urls
from shared.streams import StreamNames
from shared.urls import host_key, is_http_url, normalize_url

DocumentKind = Literal["feed", "sitemap_index", "sitemap"]


class DiscoveredDocument(BaseModel):
    url: str
    kind: DocumentKind
    found_by: str = Field(description="robots.txt, usual path, home page link, index ...")
    entries: int | None = Field(default=None, description="Entries listed when discovered.")


class SourceRecord(BaseModel):
    name: str = Field(description="Name given to its articles (`source.name`); unique.")
    url: str = Field(description="The site's URL, as added.")
    feeds: list[str] = Field(default_factory=list, description="Feeds polled.")
    sitemaps: list[str] = Field(
        default_factory=list, description="Top sitemaps polled (indexes are walked each poll)."
    )
    discovered: list[DiscoveredDocument] = Field(
        default_factory=list, description="Everything discovery found, nested sitemaps too."
    )
    refused: list[str] = Field(
        default_factory=list, description="What discovery tried and could not use, and why."
    )
    interval_s: float | None = Field(
        default=None, description="Time between polls (s); unset: NEWSFLOW_SOURCE_POLL_INTERVAL_S."
    )
    added_at: datetime = Field(default_factory=utc_now)

    @property
    def key(self) -> str:
        return normalize_url(self.url)

    def shown(self) -> SourceRecord:
        """A copy fit for a terminal or a status view: a credential in the URL a user
        gave (a password, an ?api_key=) is carried into every URL discovery derives from
        it, and into what it refused, so each is masked."""
        return self.model_copy(
            update={
                "url": masked_urls(self.url),
                "feeds": [masked_urls(url) for url in self.feeds],
                "sitemaps": [masked_urls(url) for url in self.sitemaps],
                "discovered": [
                    d.model_copy(update={"url": masked_urls(d.url)}) for d in self.discovered
                ],
                "refused": [masked_urls(refusal) for refusal in self.refused],
            }
        )


class DocumentState(BaseModel):
    """What the last poll learnt about one feed or sitemap."""

    kind: DocumentKind | None = None
    etag: str | None = None
    last_modified: str | None = None
    entries: int = 0
    error: str | None = None


class SourceState(BaseModel):
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = Field(
        default=None, description="End of the last poll in which at least one document was read."
    )
    last_error: str | None = None
    last_error_at: datetime | None = None
    documents: dict[str, DocumentState] = Field(default_factory=dict)

    def shown(self) -> SourceState:
        """A copy fit to show, as `SourceRecord.shown`: documents are keyed by their URLs
        and their errors quote them."""
        return self.model_copy(
            update={
                "last_error": masked_urls(self.last_error) if self.last_error else None,
                "documents": {
                    masked_urls(url): document.model_copy(
                        update={"error": masked_urls(document.error) if document.error else None}
                    )
                    for url, document in self.documents.items()
                },
            }
        )


def default_name(url: str) -> str:
    """`https://www.unn.ua/` -> `unn.ua`."""
    host = host_key(url)
    return host.removeprefix("www.") or url


class SourceRegistry:
    def __init__(self, redis: Redis, names: StreamNames) -> None:
        self.redis = redis
        self.names = names
        self.records_key = names.stream("sources")
        self.state_key = names.stream("sources:state")
        self.published_key = names.stream("sources:published")

    async def add(self, record: SourceRecord) -> SourceRecord:
        if not is_http_url(record.url):
            raise ValueError(f"not an http(s) URL: {record.url!r}")
        for other in await self.records():
            if other.name == record.name and other.key != record.key:
                raise ValueError(f"the name {record.name!r} is taken by {other.url}")
        await self.redis.hset(self.records_key, record.key, record.model_dump_json())
        return record

    async def find(self, name_or_url: str) -> SourceRecord | None:
        """A source by its name or its URL."""
        records = await self.records()
        for record in records:
            if record.name == name_or_url:
                return record
        if is_http_url(name_or_url):
            key = normalize_url(name_or_url)
            return next((record for record in records if record.key == key), None)
        return None

    async def remove(self, record: SourceRecord) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.records_key, record.key)
            pipe.hdel(self.state_key, record.key)
            pipe.hdel(self.published_key, record.key)
            removed, _, _ = await pipe.execute()
        return bool(removed)

    async def records(self) -> list[SourceRecord]:
        stored = await self.redis.hgetall(self.records_key)
        return sorted(
            (SourceRecord.model_validate_json(value) for value in stored.values()),
            key=lambda record: record.name,
        )

    async def state(self, record: SourceRecord) -> SourceState:
        stored = await self.redis.hget(self.state_key, record.key)
        return SourceState.model_validate_json(stored) if stored else SourceState()

    async def save_state(self, record: SourceRecord, state: SourceState) -> None:
        if await self.redis.hexists(self.records_key, record.key):
            await self.redis.hset(self.state_key, record.key, state.model_dump_json())

    async def published(self) -> dict[str, int]:
        """Articles each source has published so far (its "seen"), by record key."""
        stored: dict[Any, Any] = await self.redis.hgetall(self.published_key)
        return {
            (key.decode() if isinstance(key, bytes) else str(key)): int(value)
            for key, value in stored.items()
        }
