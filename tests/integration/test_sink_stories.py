"""Stories through the real sink stage, on Redis and each store: kept as the articles are
stored, the same after a restart, and unchanged by a replay of every article (issue 19's
"stories survive a restart and a replay; an article stored twice stays in one story")."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from services.sink.save import save_event
from shared.events import ArticleEvent, StoryLink
from shared.settings import Settings
from shared.store.article_store import ArticleStore
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore
from shared.store.story_query import StoryQuery
from shared.streams import Fields, StreamNames, decode_event_entry, encode_json
from tests.integration.harness import running, wait_for
from tests.integration.store.articles import article_event, day
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.integration


def in_story(n: int, story: str, *merged: str, source: str = "UNN") -> ArticleEvent:
    event = article_event(
        n, f"Report {n}", f"Report number {n}.", published=day(3, n), source=source
    )
    assert event.enrichment is not None
    link = StoryLink(id=story, size=1, new=False, merged=list(merged))
    return event.model_copy(
        update={"enrichment": event.enrichment.model_copy(update={"story": link})}
    )


FIRST = [
    in_story(1, "s-a"),
    in_story(2, "s-a", source="AP"),
    in_story(3, "s-b"),
    in_story(4, "s-c", source="AFP"),
    in_story(5, "s-a", "s-c", source="AFP"),  # s-c merged into s-a
]


def open_store(kind: str, url: str | None, tmp_path: Path, table: str) -> ArticleStore:
    if kind == "postgres":
        assert url is not None
        return PostgresStore(url, table)
    return SqliteStore(tmp_path / "sink.db", table)


async def sizes(store: ArticleStore) -> dict[str, tuple[int, int]]:
    page = await store.stories(StoryQuery(limit=200))
    return {s.id: (s.article_count, s.source_count) for s in page.items}


async def run_sink(
    settings: Settings, redis: Redis, store: ArticleStore, events: list[ArticleEvent], total: int
) -> None:
    async def sink(fields: Fields) -> None:
        await save_event(store, decode_event_entry(fields))

    names = StreamNames(settings.stream_prefix)
    async with running(settings, sink, stage="sink"):
        for event in events:
            await redis.xadd(names.enriched, encode_json(event.to_json()))

        async def done() -> bool:
            pending = await redis.xpending(names.enriched, "sink")
            return await store.count() >= total and pending["pending"] == 0

        await wait_for(done, within=30)


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
async def test_stories_survive_a_restart_and_a_replay(
    request: pytest.FixtureRequest, kind: str, settings: Settings, redis: Redis, tmp_path: Path
) -> None:
    url = request.getfixturevalue("database_url") if kind == "postgres" else None
    expected = {"s-a": (4, 3), "s-b": (1, 1)}
    store = open_store(kind, url, tmp_path, settings.table_name)
    await store.open()
    try:
        await run_sink(settings, redis, store, FIRST, 5)
        assert await sizes(store) == expected
        await store.close()
        # A restart: a new store on the same database, a new sink, and every article again.
        store = open_store(kind, url, tmp_path, settings.table_name)
        await store.open()
        assert await sizes(store) == expected
        late = in_story(6, "s-c", source="Reuters")  # names the story merged away
        await run_sink(settings, redis, store, [*reversed(FIRST), *FIRST, late], 6)
        assert await sizes(store) == {"s-a": (5, 4), "s-b": (1, 1)}
        merged = await store.story("s-c")
        assert merged is not None and merged.id == "s-a" and merged.aliases == ["s-c"]
        assert [a.id for a in merged.articles] == [f"art00{n}" for n in (1, 2, 4, 5, 6)]
        assert await redis.xlen(StreamNames(settings.stream_prefix).dlq) == 0
    finally:
        await store.close()
        if url is not None:
            drop_store_tables(url, settings.table_name)
