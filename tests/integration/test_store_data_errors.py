"""Input the databases refuse: fixed on the way in where the article can still be stored,
dead-lettered at once where it cannot; only a database that is down pauses the sink.

Both stores, against real databases (issue 11: a 120k-word article and NUL bytes).
"""

from __future__ import annotations

import asyncio
import random
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from redis.asyncio import Redis

from services.sink.save import save_event
from shared.errors import Rejected, Unavailable
from shared.events import (
    Article,
    ArticleEvent,
    Enrichment,
    Entity,
    LanguageGuess,
    Raw,
    Source,
    StoryLink,
)
from shared.settings import Settings
from shared.store.article_query import ArticleQuery
from shared.store.article_store import ArticleStore
from shared.store.facet_rows import INDEXED_CHARS
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore
from shared.streams import Fields, StreamNames, decode_event_entry, encode_json
from tests.integration.harness import running, wait_for
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.integration


def article(
    text: str, *, title: str = "A title", source: str | None = "UNN", article_id: str = "a1"
) -> ArticleEvent:
    return ArticleEvent(
        id=article_id,
        trace_id="t1",
        source=Source(name=source, url="https://example.com/a"),
        raw=Raw(content_type="text/plain"),
        article=Article(title=title, text=text, authors=["Ann"]),
    )


def distinct_words(n: int) -> str:
    """`n` different words: PostgreSQL's tsvector of them is over its 1 MB limit."""
    rng = random.Random(11)
    return " ".join("w" + "".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(n))


async def test_an_article_too_big_for_the_search_index_is_stored_whole(store: ArticleStore) -> None:
    text = "Opening zebrafinch paragraph.\n\n" + distinct_words(120_000)
    await store.upsert(article(text))
    stored = await store.get("a1")
    assert stored is not None and stored.article is not None
    assert stored.article.text == text
    assert [hit.id for hit in await store.search_text("zebrafinch")] == ["a1"]


async def test_nul_bytes_are_removed_from_every_text(store: ArticleStore) -> None:
    event = article("Body with a\x00 NUL.", title="Ti\x00tle", source="U\x00NN")
    event = event.model_copy(
        update={"article": event.article.model_copy(update={"authors": ["A\x00nn"]})}  # type: ignore[union-attr]
    )
    await store.upsert(event)
    stored = await store.get("a1")
    assert stored is not None and stored.article is not None
    assert (stored.article.title, stored.article.text) == ("Title", "Body with a NUL.")
    assert stored.source.name == "UNN" and stored.article.authors == ["Ann"]
    [hit] = await store.search_text("title")
    assert (hit.title, hit.source) == ("Title", "UNN")


async def test_a_literal_backslash_u0000_in_text_is_kept(store: ArticleStore) -> None:
    await store.upsert(article("a path C:\\u0000dir stays as written"))
    stored = await store.get("a1")
    assert stored is not None and stored.article is not None
    assert stored.article.text == "a path C:\\u0000dir stays as written"


async def test_a_value_the_store_cannot_hold_is_rejected_at_once(store: ArticleStore) -> None:
    event = article("Fine text.").model_copy(
        update={"enrichment": Enrichment(word_count=2**63, reading_time_s=1)}
    )
    with pytest.raises(Rejected) as refused:
        await store.upsert(event)
    assert refused.value.reason == "store_rejected"
    await store.upsert(article("The next one.", article_id="a2"))
    assert await store.count() == 1


async def test_a_batch_stores_every_article_but_the_one_refused(store: ArticleStore) -> None:
    refused = article("Refused.", article_id="b2").model_copy(
        update={"enrichment": Enrichment(word_count=2**63, reading_time_s=1)}
    )
    batch = [article("One.", article_id="b1"), refused, article("Three.", article_id="b3")]
    first, second, third = await store.upsert_many(batch)
    assert first is None and third is None
    assert isinstance(second, Rejected) and second.reason == "store_rejected"
    assert await store.count() == 2
    assert await store.get("b2") is None
    assert [hit.id for hit in await store.search_text("three")] == ["b3"]


async def test_an_id_with_a_nul_byte_is_rejected_not_changed(store: ArticleStore) -> None:
    with pytest.raises(Rejected) as refused:
        await store.upsert(article("Text.", article_id="a\x001"))
    assert refused.value.reason == "store_rejected"


@pytest.mark.parametrize(
    "published_at",
    [
        # Year 10000 in UTC, and a year before 1: PostgreSQL holds both, Python cannot.
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))),
    ],
)
async def test_a_date_no_reader_can_give_back_is_rejected_not_stored(
    store: ArticleStore, published_at: datetime
) -> None:
    # A feed's or a submission's date hint reaches the store unchecked. Stored, one such
    # article broke every listing and search that came to it ("timestamp too large").
    dated = article("Dated beyond the calendar.", article_id="far")
    dated = dated.model_copy(
        update={"article": dated.article.model_copy(update={"published_at": published_at})}  # type: ignore[union-attr]
    )
    with pytest.raises(Rejected) as refused:
        await store.upsert(dated)
    assert refused.value.reason == "store_rejected"
    assert "published_at" in str(refused.value)
    await store.upsert(article("Dated beyond the calendar? No.", article_id="next"))
    assert [item.id for item in (await store.search(ArticleQuery())).items] == ["next"]
    assert [hit.id for hit in await store.search_text("calendar")] == ["next"]


async def test_a_date_before_year_1000_keeps_its_order_and_reads_back(store: ArticleStore) -> None:
    # SQLite keeps times as fixed-width text, so text order is time order; strftime wrote
    # year 999 as "999-...": it sorted after 2024, and reading it back failed (newsflow
    # search, /api/counts).
    for article_id, year in (("old", 999), ("new", 2024)):
        dated = article("An article from long ago.", article_id=article_id)
        published = datetime(year, 3, 1, tzinfo=UTC)
        await store.upsert(
            dated.model_copy(
                update={"article": dated.article.model_copy(update={"published_at": published})}  # type: ignore[union-attr]
            )
        )
    hits = await store.search_text("ago")
    assert sorted((hit.id, hit.published_at) for hit in hits) == [
        ("new", datetime(2024, 3, 1, tzinfo=UTC)),
        ("old", datetime(999, 3, 1, tzinfo=UTC)),
    ]
    page = await store.search(ArticleQuery(sort="oldest"))
    assert [item.id for item in page.items] == ["old", "new"]
    buckets = await store.counts(ArticleQuery(date_to=datetime(999, 5, 1, tzinfo=UTC)), "month")
    assert [(b.start.isoformat(), b.count) for b in buckets if b.count] == [("0999-03-01", 1)]


async def test_names_too_long_for_an_index_are_indexed_by_their_start(
    store: ArticleStore,
) -> None:
    # A page's og:site_name (the source when the submission names none) or byline can be
    # any length; PostgreSQL's btree index takes at most 2704 bytes a row and refused the
    # whole article, which SQLite kept. Random CJK: 3 bytes a character, incompressible.
    rng = random.Random(5)
    name = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(1500))
    event = article("Text of a page with a long site name.", source=None)
    event = event.model_copy(
        update={
            "article": event.article.model_copy(update={"publisher": name, "authors": [name]}),  # type: ignore[union-attr]
            "enrichment": Enrichment(
                word_count=8,
                reading_time_s=2,
                language=LanguageGuess(code=name, confidence=0.5),
                entities=[Entity(type="organisation", text=name, label="ORG", count=1, offsets=[])],
                story=StoryLink(id="story-1", size=1, new=True),
            ),
        }
    )
    await store.upsert(event)
    stored = await store.get("a1")
    assert stored is not None and stored.article is not None
    assert stored.article.publisher == name and stored.article.authors == [name]
    [item] = (await store.search(ArticleQuery())).items
    assert item.source == name[:INDEXED_CHARS] and item.language == name[:INDEXED_CHARS]
    [author] = await store.top(ArticleQuery(), "authors")
    assert author.value == name[:INDEXED_CHARS]
    detail = await store.story("story-1")
    assert detail is not None and [a.id for a in detail.articles] == ["a1"]


async def test_a_database_that_is_down_is_unavailable(table_name: str) -> None:
    store = PostgresStore("postgresql://postgres@127.0.0.1:1/test", table_name)
    with pytest.raises(Unavailable):
        await store.upsert(article("Text."))


async def test_a_read_only_database_keeps_the_article_pending_until_it_is_writable(
    settings: Settings, redis: Redis, database_url: str
) -> None:
    # A failover lands the sink on a standby, or maintenance sets the database read-only:
    # every write fails with "cannot execute INSERT in a read-only transaction". That is an
    # outage, not the article's fault; it was retried as a failure and dead-lettered.
    names = StreamNames(settings.stream_prefix)
    settings = settings.model_copy(update={"outage_pause_max_s": 0.5})
    writable = PostgresStore(database_url, settings.table_name)
    await writable.open()
    await writable.close()
    read_only = f"{database_url}?options=-c%20default_transaction_read_only%3Don"
    store = PostgresStore(read_only, settings.table_name)
    await store.open()

    async def sink(fields: Fields) -> None:
        await save_event(store, decode_event_entry(fields))

    try:
        async with running(settings, sink, stage="sink"):
            await redis.xadd(names.enriched, encode_json(article("Stored later.").to_json()))
            # Long enough for every retry of a failure (50 ms doubling, 5 times) to run out.
            await asyncio.sleep(4)
            assert await redis.xlen(names.dlq) == 0
            assert (await redis.xpending(names.enriched, "sink"))["pending"] == 1
            store.url = database_url  # the primary is back
            await wait_for(lambda: _count_is(store, 1), within=20)
        assert await redis.xlen(names.dlq) == 0
    finally:
        await store.close()
        drop_store_tables(database_url, settings.table_name)


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
async def test_the_sink_stores_the_huge_article_and_the_next_one(
    request: pytest.FixtureRequest, kind: str, settings: Settings, redis: Redis, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    store: ArticleStore
    if kind == "postgres":
        url = request.getfixturevalue("database_url")
        store = PostgresStore(url, settings.table_name)
    else:
        store = SqliteStore(tmp_path / "sink.db", settings.table_name)
    await store.open()

    async def sink(fields: Fields) -> None:
        await save_event(store, decode_event_entry(fields))

    huge = article(distinct_words(120_000), article_id="huge")
    nul = article("NUL\x00 in the body", source="U\x00NN", article_id="nul")
    try:
        async with running(settings, sink, stage="sink"):
            for event in (huge, nul, article("The next article.", article_id="next")):
                await redis.xadd(names.enriched, encode_json(event.to_json()))
            await wait_for(lambda: _count_is(store, 3), within=20)

            async def acknowledged() -> bool:
                # The sink acknowledges after the commit: the rows can be counted first.
                return (await redis.xpending(names.enriched, "sink"))["pending"] == 0

            await wait_for(acknowledged, within=10)
        assert await redis.xlen(names.dlq) == 0
    finally:
        await store.close()
        if kind == "postgres":
            drop_store_tables(url, settings.table_name)


async def _count_is(store: ArticleStore, n: int) -> bool:
    return await store.count() >= n


async def test_a_table_made_before_the_cap_gets_the_capped_search_column(
    database_url: str, table_name: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            f"""CREATE TABLE {table_name} (
                id text PRIMARY KEY, trace_id text NOT NULL, url text, title text,
                body text NOT NULL DEFAULT '', source text, language text,
                published_at timestamptz, word_count integer, event jsonb NOT NULL,
                first_stored_at timestamptz NOT NULL DEFAULT now(),
                stored_at timestamptz NOT NULL DEFAULT now(),
                search tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('simple', coalesce(title, '')), 'A')
                    || setweight(to_tsvector('simple', body), 'B')) STORED)"""
        )
        # A row as that release stored it (no side tables then).
        old = article("Stored before the migration, findable after.")
        conn.execute(
            f"INSERT INTO {table_name} (id, trace_id, title, body, event)"
            " VALUES (%s, %s, %s, %s, %s::jsonb)",
            (old.id, old.trace_id, old.article.title, old.article.text,  # type: ignore[union-attr]
             old.to_json().decode()),
        )  # fmt: skip
    store = PostgresStore(database_url, table_name)
    try:
        await store.open()
        await store.upsert(article(distinct_words(120_000), article_id="huge"))
        assert await store.count() == 2
        assert [hit.id for hit in await store.search_text("migration")] == ["a1"]
    finally:
        await store.close()
        drop_store_tables(database_url, table_name)
