"""The api's reads of PostgreSQL: on a pool, so a slow query holds up no other request, each
cut off past the timeout, and a database out of reach is `Unavailable` (the api's 503)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from psycopg import AsyncConnection

from shared.errors import Unavailable
from shared.events import Article, ArticleEvent, Raw, Source
from shared.store.article_query import ArticleQuery
from shared.store.postgres import PostgresStore
from shared.store.postgres_reads import ReadConnections
from shared.store.read_models import ArticleSummary
from shared.store.store_errors import QueryTooSlow
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.integration


async def _unused() -> AsyncConnection:  # type: ignore[type-arg]
    raise AssertionError("a pooled read must not use the store's own connection")


async def test_a_slow_read_does_not_hold_up_a_quick_one(database_url: str) -> None:
    reads = ReadConnections(database_url, _unused, pool_size=2, timeout_s=30)

    async def read(query: str) -> float:
        async with reads.connection() as conn:
            await conn.execute(query)
        return time.monotonic()

    try:
        slow = asyncio.create_task(read("SELECT pg_sleep(1.5)"))
        await asyncio.sleep(0.2)  # the slow one has its connection
        quick_done = await read("SELECT 1")
        slow_done = await slow
    finally:
        await reads.close()
    assert quick_done < slow_done - 0.5, "the quick read waited for the slow one"


async def test_a_read_past_the_timeout_is_cut_off_and_said_as_too_slow(database_url: str) -> None:
    reads = ReadConnections(database_url, _unused, pool_size=1, timeout_s=0.2)
    try:
        with pytest.raises(QueryTooSlow, match=r"longer than 0\.2 s"):
            async with reads.connection() as conn:
                await conn.execute("SELECT pg_sleep(5)")
        async with reads.connection() as conn:  # the connection serves the next read
            cursor = await conn.execute("SELECT 41 + 1")
            assert await cursor.fetchone() == (42,)
    finally:
        await reads.close()


async def test_a_database_out_of_reach_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reads = ReadConnections(
        f"postgresql://postgres:s3cret@127.0.0.1:{port}/test", _unused, pool_size=1, wait_s=1
    )
    try:
        with pytest.raises(Unavailable) as raised:
            async with reads.connection() as conn:
                await conn.execute("SELECT 1")
        assert "s3cret" not in str(raised.value)
    finally:
        await reads.close()


async def test_exports_take_no_more_connections_than_the_pool_has(
    database_url: str, table_name: str
) -> None:
    # Each export streamed through a connection of its own, however many ran: a few dozen
    # slow downloads of /api/export took every connection PostgreSQL has, the sink's too.
    writer = PostgresStore(database_url, table_name)
    api = PostgresStore(database_url, table_name, read_pool_size=2, read_timeout_s=30)
    running: list[AsyncIterator[ArticleSummary]] = []
    try:
        await writer.open()
        await writer.upsert_many(
            [
                ArticleEvent(
                    id=f"e{n}",
                    trace_id="t",
                    source=Source(url=f"https://example.com/{n}"),
                    raw=Raw(content_type="text/plain"),
                    article=Article(title="Exported", text="Text to export."),
                )
                for n in range(3)
            ]
        )
        await api.open()
        api._reads.wait_s = 0.5
        running = [api.export(ArticleQuery()) for _ in range(3)]
        for export in running[:2]:  # each client reads a row, then reads slowly
            assert (await anext(export)).title == "Exported"
        with pytest.raises(Unavailable):
            await anext(running[2])
        await running[0].aclose()  # type: ignore[attr-defined]
        assert len([item async for item in api.export(ArticleQuery())]) == 3
    finally:
        for export in running:
            await export.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.2)  # their connections closed, the tables can be dropped
        await api.close()
        await writer.close()
        drop_store_tables(database_url, table_name)
