"""Both store adapters against real databases: idempotent upsert, get, count, search."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from shared.events import ArticleEvent, RawSubmission
from shared.store.article_store import ArticleStore
from shared.store.postgres import SCHEMA_VERSION_KEY, PostgresStore
from tests.conftest import SEED
from tests.integration.harness import wait_for
from tests.store_tables import EARLIER_SCHEMA, drop_store_tables

pytestmark = pytest.mark.integration


def parsed(text: str, **fields: str) -> ArticleEvent:
    event = event_from_content(RawSubmission(content=text, **fields), max_bytes=1 << 20)
    return parse_event(event, max_bytes=1 << 20)


async def test_upserting_the_same_article_twice_keeps_one_row(store: ArticleStore) -> None:
    event = parsed(SEED.read_text(), source="UNN")
    await store.open()  # opening again is harmless: the schema is created only if missing
    await store.upsert(event)
    await store.upsert(event.model_copy(update={"trace_id": "second"}))
    assert await store.count() == 1
    stored = await store.get(event.id)
    assert stored is not None
    assert stored.trace_id == "second"
    assert stored.article is not None and stored.article.title == event.article.title  # type: ignore[union-attr]


async def test_full_text_search_finds_words_of_title_and_body(store: ArticleStore) -> None:
    seed = parsed(SEED.read_text(), source="UNN")
    other = parsed("Harvest festival\n\nThe village celebrated its apple harvest on Sunday.")
    await store.upsert(seed)
    await store.upsert(other)
    hits = await store.search_text("Pyongyang")
    assert [h.id for h in hits] == [seed.id]
    assert hits[0].source == "UNN"
    assert hits[0].published_at is not None and hits[0].published_at.year == 2025
    assert [h.id for h in await store.search_text("apple harvest")] == [other.id]
    assert await store.search_text("nonexistentword") == []


async def test_search_snippets_are_plain_text_of_the_body(store: ArticleStore) -> None:
    seed = parsed(SEED.read_text(), source="UNN")
    await store.upsert(seed)
    (hit,) = await store.search_text("Pyongyang")
    assert "Pyongyang" in hit.snippet
    for marker in ("<b>", "</b>", "<", ">"):
        assert marker not in hit.snippet, hit.snippet
    # Every word of the snippet is the body's: no markers around the matches.
    body_words = set(seed.article.text.split())  # type: ignore[union-attr]
    assert set(hit.snippet.replace("…", " ").split()) <= body_words, hit.snippet


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("apples bananas", ["c"]),
        ("apples OR bananas", ["a", "b", "c"]),
        ('"apples grow"', ["a"]),
        ("apples -bananas", ["a"]),
        ('grow -"bananas grow"', ["a"]),
    ],
)
async def test_search_text_reads_the_web_search_syntax_of_the_read_side(
    store: ArticleStore, query: str, expected: list[str]
) -> None:
    # `newsflow search` checks its words as the api's q and PostgreSQL reads them so;
    # SQLite searched `-bananas` as the word bananas: the one article it was to leave out.
    for article_id, text in (
        ("a", "Apples grow in orchards."),
        ("b", "Bananas grow in plantations."),
        ("c", "Apples and bananas, together."),
    ):
        await store.upsert(
            parsed(text, url=f"https://example.com/{article_id}").model_copy(
                update={"id": article_id}
            )
        )
    assert sorted(hit.id for hit in await store.search_text(query)) == expected


async def test_search_input_is_never_query_syntax(store: ArticleStore) -> None:
    await store.upsert(parsed(SEED.read_text()))
    for query in ['"', "AND OR NOT", "title:x", "(*", "a' OR 1=1 --"]:
        assert isinstance(await store.search_text(query), list)


async def test_store_answers_ping(store: ArticleStore) -> None:
    assert await store.ping()


async def test_articles_stored_at_once_through_one_store_are_all_kept(
    store: ArticleStore,
) -> None:
    """A stage's subscriber and its reclaimer store through one store at the same time
    (found by the chaos test: interleaved transactions on one PostgreSQL connection)."""
    events = [
        parsed(f"Harbour report {n}\n\nThe port authority said on Monday that quay {n} reopened.")
        for n in range(20)
    ]
    await asyncio.gather(*(store.upsert(event) for event in events))
    assert await store.count() == 20


async def test_stages_opening_a_fresh_postgres_database_at_once_all_open(
    database_url: str, table_name: str
) -> None:
    """Every stage opens the store as it starts; on a fresh database two CREATE TABLEs of
    one name at once failed in PostgreSQL, and a stage exited at start."""
    stores = [PostgresStore(database_url, table_name) for _ in range(6)]
    try:
        outcomes = await asyncio.gather(*(s.open() for s in stores), return_exceptions=True)
        assert [o for o in outcomes if o is not None] == []
        assert all([await s.ping() for s in stores])
    finally:
        for s in stores:
            await s.close()
        drop_store_tables(database_url, table_name)


async def test_opening_a_current_postgres_schema_takes_no_table_locks(
    database_url: str, table_name: str
) -> None:
    """A reader opening the store while the sink writes a story: the schema's DDL would
    wait on the sink's row locks, while the sink waits on the DDL's (a deadlock CI saw)."""
    first = PostgresStore(database_url, table_name)
    await first.open()
    writing = await psycopg.AsyncConnection.connect(database_url)
    try:
        async with writing.transaction():
            await writing.execute(
                f"LOCK TABLE {table_name}_story_members IN ROW EXCLUSIVE MODE"  # type: ignore[arg-type]
            )
            second = PostgresStore(database_url, table_name)
            await asyncio.wait_for(second.open(), timeout=10)
            await second.close()
    finally:
        await writing.close()
        await first.close()
        drop_store_tables(database_url, table_name)


async def test_an_opener_that_waited_for_another_s_migration_takes_no_table_locks(
    database_url: str, table_name: str
) -> None:
    """Stages starting at once on an old schema: one migrates, the others wait for its lock.
    Once it is done the schema is current, and a waiting opener that ran the DDL again would
    wait on a sink writing meanwhile (as in the test above)."""
    first = PostgresStore(database_url, table_name)
    await first.open()
    await first.close()
    migrating = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    writing = await psycopg.AsyncConnection.connect(database_url)
    second = PostgresStore(database_url, table_name)
    lock = (f"{table_name}_schema",)
    meta = f"{table_name}_meta"
    try:
        cursor = await migrating.execute(
            f"SELECT key, value FROM {meta} WHERE key = %s",  # type: ignore[arg-type]
            (SCHEMA_VERSION_KEY,),
        )
        current = await cursor.fetchone()
        # The schema as an earlier release left it, and another opener migrating it.
        await migrating.execute(EARLIER_SCHEMA.format(table=table_name))  # type: ignore[arg-type]
        await migrating.execute("SELECT pg_advisory_lock(hashtext(%s))", lock)

        async def an_opener_waits_for_the_lock() -> bool:
            cursor = await migrating.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = ((hashtext(%s)::bigint & 4294967295)::text)::oid",
                lock,
            )
            return (await cursor.fetchone()) != (0,)

        opening = asyncio.create_task(second.open())
        await wait_for(an_opener_waits_for_the_lock, within=20)
        # The migration ends (the current version written) while a sink writes.
        await migrating.execute(
            f"INSERT INTO {meta} VALUES (%s, %s)",  # type: ignore[arg-type]
            current,
        )
        await writing.execute(
            f"LOCK TABLE {table_name}_story_members IN ROW EXCLUSIVE MODE"  # type: ignore[arg-type]
        )
        await migrating.execute("SELECT pg_advisory_unlock(hashtext(%s))", lock)
        await asyncio.wait_for(opening, timeout=10)
    finally:
        await writing.close()
        await migrating.close()
        await second.close()
        drop_store_tables(database_url, table_name)
