"""The sink stores the articles it holds at once in one transaction (issue 16), and delivery
stays per entry: an article the store refuses is dead-lettered alone, the others are stored
and acknowledged, and a lone article on a quiet stream is not held back for a batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from redis.asyncio import Redis

from services.sink.batch_writer import BatchWriter
from services.sink.stage import open_sink
from shared.events import Article, ArticleEvent, Enrichment, Raw, Source
from shared.pipeline import stage_named
from shared.settings import Settings
from shared.stage_app import StageApp
from shared.store.backends import opened_store
from shared.store.sqlite import SqliteStore
from shared.streams import StreamNames, encode_json
from tests.integration.harness import entries, wait_for

pytestmark = pytest.mark.integration


def article(n: int) -> ArticleEvent:
    return ArticleEvent(
        id=f"art-{n}",
        trace_id=f"trace-{n}",
        source=Source(name="UNN", url=f"https://example.com/{n}"),
        raw=Raw(content_type="text/plain"),
        article=Article(title=f"Article {n}", text=f"Body of article number {n}."),
    )


def refused(n: int) -> ArticleEvent:
    """An integer no store column holds: the store refuses the article."""
    return article(n).model_copy(
        update={"enrichment": Enrichment(word_count=2**63, reading_time_s=1)}
    )


class CountingStore(SqliteStore):
    """The real SQLite store, remembering the size of each transaction it was given."""

    def __init__(self, path: Path, table: str) -> None:
        super().__init__(path, table)
        self.batches: list[int] = []

    async def upsert_many(self, events: Sequence[ArticleEvent]) -> list[Exception | None]:
        self.batches.append(len(events))
        return await super().upsert_many(events)


async def test_upserts_started_together_share_a_transaction(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "batch.db", "articles")
    await store.open()
    try:
        writer = BatchWriter(store, max_batch=8)
        await asyncio.gather(*(writer.upsert(article(n)) for n in range(20)))
        assert await store.count() == 20
        assert max(store.batches) == 8 and len(store.batches) < 20
        # A lone article is stored at once, in a transaction of its own.
        await asyncio.wait_for(writer.upsert(article(99)), timeout=10)
        assert store.batches[-1] == 1
    finally:
        await store.close()


async def test_one_refused_article_fails_its_own_upsert_only(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "batch.db", "articles")
    await store.open()
    try:
        writer = BatchWriter(store, max_batch=16)
        outcomes = await asyncio.gather(
            *(writer.upsert(refused(n) if n == 3 else article(n)) for n in range(6)),
            return_exceptions=True,
        )
        assert [type(o).__name__ for o in outcomes] == [
            "NoneType", "NoneType", "NoneType", "Rejected", "NoneType", "NoneType",
        ]  # fmt: skip
        assert store.batches == [6]
        assert await store.count() == 5
    finally:
        await store.close()


async def test_the_sink_stage_dead_letters_the_refused_article_alone(
    store_settings: Settings, redis: Redis
) -> None:
    settings = store_settings.model_copy(update={"sink_batch": 16})
    names = StreamNames(settings.stream_prefix)
    for n in range(40):
        event = refused(n) if n == 17 else article(n)
        await redis.xadd(names.enriched, encode_json(event.to_json()))
    sink = StageApp(stage_named("sink"), settings, open_sink, max_workers=settings.sink_batch)
    async with opened_store(settings) as store:
        await sink.app.start()
        try:
            await wait_for(lambda: _settled(redis, names), within=30)
        finally:
            await sink.app.stop()
        assert await store.count() == 39
        assert await store.get("art-17") is None
    [letter] = await entries(redis, names.dlq)
    assert (letter["article_id"], letter["reason"]) == ("art-17", "store_rejected")
    pending = await redis.xpending(names.enriched, "sink")
    assert pending["pending"] == 0


async def _settled(redis: Redis, names: StreamNames) -> bool:
    groups = await redis.xinfo_groups(names.enriched)
    sink = next(g for g in groups if g["name"] in (b"sink", "sink"))
    return bool(sink["lag"] == 0 and sink["pending"] == 0)
