"""Polling the registered sources: their sitemaps and feeds, new article URLs onto the raw
stream once each, with the hints the documents give.

Runs inside the fetcher beside the feed poller and the same way (turn_poller.py): one
replica polls a source each interval, and the shared publish-once record makes publishing
once-only regardless. A poll publishes entries dated within
`max_age_s` (or undated): older ones are what `newsflow backfill` is for, and an archive
sitemap of a big site must not be re-published into the pipeline by every new source.
"""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from services.fetcher.polite_client import PoliteClient
from services.fetcher.publish_once import OncePublisher
from services.fetcher.source_documents import FoundArticle, read_feeds, read_sitemaps
from services.fetcher.turn_poller import TurnPoller
from shared.backpressure import RoomGate
from shared.events import utc_now
from shared.logs import get_logger
from shared.secret_text import masked_urls
from shared.sources import SourceRecord, SourceRegistry, SourceState
from shared.streams import StreamNames
from shared.urls import normalize_url

log = get_logger("newsflow.fetcher.sources")


class SourcePoller(TurnPoller[SourceRecord]):
    kind = "sources"

    def __init__(
        self,
        redis: Redis,
        names: StreamNames,
        client: PoliteClient,
        *,
        default_interval_s: float,
        seen_ttl_s: int,
        sitemap_max_bytes: int,
        max_documents: int,
        max_age_s: float,
        room: RoomGate | None = None,
    ) -> None:
        super().__init__(redis, names, default_interval_s=default_interval_s, room=room)
        self.client = client
        self.registry = SourceRegistry(redis, names)
        self.publisher = OncePublisher(redis, names, seen_ttl_s)
        self.sitemap_max_bytes = sitemap_max_bytes
        self.max_documents = max_documents
        self.max_age_s = max_age_s

    async def registered(self) -> list[SourceRecord]:
        return await self.registry.records()

    def turn(self, record: SourceRecord) -> tuple[str, float | None]:
        return record.key, record.interval_s

    async def poll(self, record: SourceRecord) -> int:
        """Read the source's documents and publish what is new. Returns how many were."""
        state = await self.registry.state(record)
        started = utc_now()
        since = started - timedelta(seconds=self.max_age_s)
        sitemaps = await read_sitemaps(
            self.client,
            record.sitemaps,
            max_bytes=self.sitemap_max_bytes,
            max_documents=self.max_documents,
            since=since,
            known=state.documents,
        )
        feeds = await read_feeds(self.client, record.feeds, known=state.documents)
        fresh = [
            found
            for found in [*sitemaps.articles, *feeds.articles]
            if found.published_at is None or found.published_at >= since
        ]
        published = await self._publish(record, fresh)
        outcomes = [*sitemaps.outcomes, *feeds.outcomes]
        state = SourceState(
            last_polled_at=started,
            last_success_at=state.last_success_at,
            last_error=state.last_error,
            last_error_at=state.last_error_at,
            documents={o.url: o.state(state.documents.get(o.url)) for o in outcomes},
        )
        if any(outcome.error is None for outcome in outcomes):
            state.last_success_at = utc_now()
        # Kept in the source's state, shown by the api and logged: no credential of a URL.
        errors = [masked_urls(f"{o.url}: {o.error}") for o in outcomes if o.error]
        if errors:
            state.last_error, state.last_error_at = "; ".join(errors)[:1000], utc_now()
            log.warning("source_documents_failed", source=record.name, errors="; ".join(errors))
        await self.registry.save_state(record, state)
        log.info("source_polled", source=record.name, found=len(fresh), published=published)
        return published

    async def _publish(self, record: SourceRecord, found: list[FoundArticle]) -> int:
        published = 0
        counter = (self.registry.published_key, record.key)
        for article in first_of_each_url(found):
            if not await self.room_to_publish():
                break
            if await self.publisher.publish(article.submission(record), counter=counter):
                published += 1
        return published


def first_of_each_url(found: list[FoundArticle]) -> list[FoundArticle]:
    """One per article: a Google News entry (title, date, language) before a plain one."""
    best: dict[str, FoundArticle] = {}
    for article in found:
        key = normalize_url(article.url)
        kept = best.get(key)
        if kept is None or _richness(article) > _richness(kept):
            best[key] = article
    return list(best.values())


def _richness(article: FoundArticle) -> int:
    return sum(value is not None for value in (article.title, article.published_at,
                                               article.language))  # fmt: skip
