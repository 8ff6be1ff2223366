"""Polling the registered sources: their sitemaps and feeds, new article URLs onto the raw
stream once each, with the hints the documents give.

Runs inside the fetcher beside the feed poller and the same way: a per-source "due" key
(SET NX with the interval as expiry) gives one replica the turn, and the shared publish-once
record makes publishing once-only regardless. A poll publishes entries dated within
`max_age_s` (or undated): older ones are what `newsflow backfill` is for, and an archive
sitemap of a big site must not be re-published into the pipeline by every new source.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from datetime import timedelta

from redis.asyncio import Redis

from services.fetcher.polite_client import PoliteClient
from services.fetcher.publish_once import OncePublisher
from services.fetcher.source_documents import FoundArticle, read_feeds, read_sitemaps
from shared.backpressure import RoomGate
from shared.events import utc_now
from shared.logs import get_logger
from shared.sources import SourceRecord, SourceRegistry, SourceState
from shared.streams import StreamNames
from shared.urls import normalize_url

log = get_logger("newsflow.fetcher.sources")

_TICK_S = 1.0


class SourcePoller:
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
        self.redis = redis
        self.names = names
        self.client = client
        self.registry = SourceRegistry(redis, names)
        self.publisher = OncePublisher(redis, names, seen_ttl_s)
        self.default_interval_s = default_interval_s
        self.sitemap_max_bytes = sitemap_max_bytes
        self.max_documents = max_documents
        self.max_age_s = max_age_s
        self.room = room
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever(), name="source-poller")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def poll_due_sources(self) -> int:
        due = [r for r in await self.registry.records() if await self._claim_turn(r)]
        return sum(await asyncio.gather(*(self.poll(record) for record in due)))

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
        errors = [f"{o.url}: {o.error}" for o in outcomes if o.error]
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
            if self.room is not None and await self.room.wait(self._stopping) is None:
                break  # shutting down; the rest is published at the next poll
            if await self.publisher.publish(article.submission(record), counter=counter):
                published += 1
        return published

    async def _claim_turn(self, record: SourceRecord) -> bool:
        interval = record.interval_s or self.default_interval_s
        digest = hashlib.sha256(record.key.encode()).hexdigest()[:32]
        key = self.names.stream(f"sources:due:{digest}")
        return bool(await self.redis.set(key, b"1", nx=True, px=max(1, int(interval * 1000))))

    async def _poll_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.poll_due_sources()
            except Exception:
                log.exception("source_poller_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=min(_TICK_S, self.default_interval_s)
                )


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
