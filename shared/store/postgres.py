"""PostgreSQL adapter of the article store (psycopg 3, async)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC
from typing import Any

import orjson
import psycopg
from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow

from shared.alerts.definition import AlertDefinition
from shared.errors import Unavailable
from shared.events import ArticleEvent
from shared.store import alert_rows
from shared.store.article_query import QueryError
from shared.store.article_store import ArticleRow, StoredArticle
from shared.store.facet_rows import facet_rows
from shared.store.postgres_reads import ReadConnections
from shared.store.read_side import SqlReadSide
from shared.store.read_sql import ReadQueries, Row, postgres_dialect
from shared.store.side_tables import BACKFILL_BATCH, BACKFILLED, side_schema, side_writes
from shared.store.storable import storable
from shared.store.store_errors import postgres_failure
from shared.store.story_tables import (
    STORIES_BACKFILLED,
    StoryWrites,
    members_upgrade,
    story_schema,
)

# Plain text like SQLite's snippet: ts_headline would wrap each match in <b></b>, which
# `newsflow search` prints as is.
_HEADLINE_OPTIONS = 'MaxFragments=1,MaxWords=30,MinWords=10,StartSel="",StopSel=""'

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    id              text PRIMARY KEY,
    trace_id        text NOT NULL,
    url             text,
    title           text,
    body            text NOT NULL DEFAULT '',
    source          text,
    language        text,
    published_at    timestamptz,
    word_count      integer,
    event           jsonb NOT NULL,
    first_stored_at timestamptz NOT NULL DEFAULT now(),
    stored_at       timestamptz NOT NULL DEFAULT now(),
    search          tsvector GENERATED ALWAYS AS ({search_vector}) STORED
);
CREATE INDEX IF NOT EXISTS {search_index} ON {table} USING gin (search);
CREATE INDEX IF NOT EXISTS {newest_index} ON {table} (published_at DESC NULLS LAST, id);
DROP INDEX IF EXISTS {published_index};
"""
# The newest-first index is the read side's order (`ORDER BY published_at DESC NULLS LAST,
# id`): the opening page reads its 21 rows from it, where a plain (published_at) index
# cannot give that order and a million rows were sorted (0.5-1 s). It serves date ranges
# as the plain one did, which it replaces.

# 'simple' (no stemming) because the store holds every language. A tsvector holds at most
# 1 MB and costs up to ~6 bytes per character of text (one-letter words of 4-byte letters),
# so only the start of a long body is indexed (120k characters, some 20k words); the body
# column keeps the whole text. Without the cap one long article stopped the sink for good.
SEARCHED_TITLE_CHARS = 10_000
SEARCHED_BODY_CHARS = 120_000
# The key of the schema's version in `<table>_meta` (see `_schema_version`).
SCHEMA_VERSION_KEY = "schema_version"
_SEARCH_VECTOR = f"""
        setweight(to_tsvector('simple', left(coalesce(title, ''), {SEARCHED_TITLE_CHARS})), 'A')
        || setweight(to_tsvector('simple', left(body, {SEARCHED_BODY_CHARS})), 'B')
"""

# The expression of an existing `search` column: a table made before the cap is migrated.
_SEARCH_EXPRESSION = """
SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE d.adrelid = to_regclass(%s) AND a.attname = 'search'
"""

_REBUILD_SEARCH = """
ALTER TABLE {table} DROP COLUMN search;
ALTER TABLE {table} ADD COLUMN search tsvector GENERATED ALWAYS AS ({search_vector}) STORED;
CREATE INDEX IF NOT EXISTS {search_index} ON {table} USING gin (search);
"""

# The columns of a table, as they are: a members table made by an earlier release lacks some.
_MEMBER_COLUMNS = """
SELECT attname FROM pg_attribute
WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped
"""

_UPSERT = """
INSERT INTO {table} (id, trace_id, url, title, body, source, language, published_at,
                     word_count, event, stored_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, now())
ON CONFLICT (id) DO UPDATE SET
    trace_id = EXCLUDED.trace_id, url = EXCLUDED.url, title = EXCLUDED.title,
    body = EXCLUDED.body, source = EXCLUDED.source, language = EXCLUDED.language,
    published_at = EXCLUDED.published_at, word_count = EXCLUDED.word_count,
    event = EXCLUDED.event, stored_at = now()
"""


def _schema_version(table: str) -> str:
    """A digest of every statement that makes or migrates the schema: any change to one
    makes the next opener create and migrate again."""
    statements = (
        _SCHEMA, _SEARCH_VECTOR, side_schema(table),
        alert_rows.alerts_schema(table, "timestamptz"),
        story_schema(table, "timestamptz"), *members_upgrade(table, ()),
    )  # fmt: skip
    return hashlib.sha256("\x00".join(statements).encode()).hexdigest()


class PostgresStore(SqlReadSide):
    def __init__(
        self,
        url: str,
        table: str = "articles",
        *,
        read_pool_size: int = 0,
        read_timeout_s: float | None = None,
    ) -> None:
        """`read_pool_size` 0: reads share the store's connection (a stage); else they take
        connections of a pool that size, cut off past `read_timeout_s` (the api)."""
        self.url = url
        self.table = sql.Identifier(table)
        self._table_name = table
        self._conn: AsyncConnection[TupleRow] | None = None
        # The stage's subscriber and its reclaimer store through this one connection at
        # once: two transactions on it must not interleave (psycopg refuses the second
        # commit, and the article would be retried until it is dead-lettered).
        self._writing = asyncio.Lock()
        self._stories = StoryWrites(table, "%s", lambda moment: moment)
        self._schema_version = _schema_version(table)
        self._reads = ReadConnections(
            url, self._connection, pool_size=read_pool_size, timeout_s=read_timeout_s
        )

    async def _connection(self) -> AsyncConnection[TupleRow]:
        # Reconnect on demand: after a database restart the next call gets a fresh one.
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await AsyncConnection.connect(self.url, autocommit=True)
        return self._conn

    async def open(self) -> None:
        conn = await self._connection()
        # Every stage opens the store when it starts, so several open it at once on a fresh
        # database, and concurrent CREATE TABLE IF NOT EXISTS of one name fails in
        # PostgreSQL (a unique violation in pg_type): one opener at a time does the DDL.
        # A schema already current is not touched at all: its DDL would lock the tables
        # the sink is writing, in another order than the sink does (a deadlock, seen
        # between a sink's story write and a reader opening the store).
        if not await self._schema_is_current(conn):
            lock = (self._quoted + "_schema",)
            await conn.execute("SELECT pg_advisory_lock(hashtext(%s))", lock)
            try:
                # The opener we waited for may have made the schema current meanwhile.
                if not await self._schema_is_current(conn):
                    await self._create_or_migrate(conn)
                    await conn.execute(
                        _sql(f"INSERT INTO {self._quoted}_meta VALUES (%s, %s)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                        (SCHEMA_VERSION_KEY, self._schema_version),
                    )  # fmt: skip
            finally:
                if not conn.broken:  # a lost connection has released its lock already
                    await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", lock)
        self.open_reads(ReadQueries(postgres_dialect(), self._quoted, _Executor(self)))

    async def _schema_is_current(self, conn: AsyncConnection[TupleRow]) -> bool:
        cursor = await conn.execute("SELECT to_regclass(%s)", (self._quoted + "_meta",))
        found = await cursor.fetchone()
        if found is None or found[0] is None:
            return False
        cursor = await conn.execute(
            _sql(f"SELECT value FROM {self._quoted}_meta WHERE key = %s"), (SCHEMA_VERSION_KEY,)
        )
        version = await cursor.fetchone()
        return version is not None and version[0] == self._schema_version

    async def _create_or_migrate(self, conn: AsyncConnection[TupleRow]) -> None:
        names = {
            "table": self.table,
            "search_vector": sql.SQL(_SEARCH_VECTOR),
            "search_index": sql.Identifier(f"{self._table_name}_search_idx"),
            "published_index": sql.Identifier(f"{self._table_name}_published_idx"),
            "newest_index": sql.Identifier(f"{self._table_name}_newest_idx"),
        }
        await conn.execute(sql.SQL(_SCHEMA).format(**names))
        cursor = await conn.execute(_SEARCH_EXPRESSION, (self._table_name,))
        found = await cursor.fetchone()
        if found and f"{SEARCHED_BODY_CHARS}" not in found[0]:
            # Several sinks may start at once: the lock makes one rebuild and the others
            # find it done.
            async with conn.transaction():
                await conn.execute(
                    sql.SQL("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE").format(**names)
                )
                cursor = await conn.execute(_SEARCH_EXPRESSION, (self._table_name,))
                found = await cursor.fetchone()
                if found and f"{SEARCHED_BODY_CHARS}" not in found[0]:
                    await conn.execute(sql.SQL(_REBUILD_SEARCH).format(**names))
        await self._migrate_sides(conn)
        await conn.execute(_sql(alert_rows.alerts_schema(self._quoted, "timestamptz")))
        await self._migrate_stories(conn)

    @property
    def _quoted(self) -> str:
        # Checked as an identifier by backends.checked_table_name: safe in SQL text.
        return self._table_name

    async def _migrate_sides(self, conn: AsyncConnection[TupleRow]) -> None:
        """Side tables for a table from an earlier release, filled from the stored events,
        once: several sinks may start at once, so one backfills under a lock."""
        t = self._quoted
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (t + "_facets",))
            await conn.execute(_sql(side_schema(t)))
            done = await conn.execute(_sql(f"SELECT 1 FROM {t}_meta WHERE key = %s"), (BACKFILLED,))
            if await done.fetchone() is not None:
                return
            after = ""
            while True:
                cursor = await conn.execute(
                    _sql(f"SELECT id, event::text FROM {t} WHERE id > %s ORDER BY id LIMIT %s"),
                    (after, BACKFILL_BATCH),
                )
                batch = await cursor.fetchall()
                if not batch:
                    break
                for article_id, event in batch:
                    await self._write_sides(conn, article_id, orjson.loads(event))
                after = batch[-1][0]
            await conn.execute(_sql(f"INSERT INTO {t}_meta VALUES (%s, 'done')"), (BACKFILLED,))

    async def _migrate_stories(self, conn: AsyncConnection[TupleRow]) -> None:
        """Story tables for a table from an earlier release, filled from the stories its
        stored events name, once (as _migrate_sides); its members table brought up to date."""
        t = self._quoted
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (t + "_stories",))
            await conn.execute(_sql(story_schema(t, "timestamptz")))
            cursor = await conn.execute(_MEMBER_COLUMNS, (t + "_story_members",))
            columns = {str(row[0]) for row in await cursor.fetchall()}
            for statement in members_upgrade(t, columns):
                await conn.execute(_sql(statement))
            done = await conn.execute(
                _sql(f"SELECT 1 FROM {t}_meta WHERE key = %s"), (STORIES_BACKFILLED,)
            )
            if await done.fetchone() is not None:
                return
            after = ""
            while True:
                cursor = await conn.execute(
                    _sql(
                        f"SELECT id, event::text FROM {t} WHERE id > %s"
                        " AND event->'enrichment' ? 'story' ORDER BY id LIMIT %s"
                    ),
                    (after, BACKFILL_BATCH),
                )
                batch = await cursor.fetchall()
                if not batch:
                    break
                for article_id, event in batch:
                    await self._stories.write(_Statements(conn, t), article_id, orjson.loads(event))
                after = batch[-1][0]
            await conn.execute(
                _sql(f"INSERT INTO {t}_meta VALUES (%s, 'done')"), (STORIES_BACKFILLED,)
            )

    async def _write_sides(
        self, conn: AsyncConnection[TupleRow], article_id: str, event: dict[str, Any]
    ) -> None:
        for statement, rows in side_writes(self._quoted, "%s", article_id, facet_rows(event)):
            async with conn.cursor() as cursor:
                await cursor.executemany(_sql(statement), rows)

    async def close(self) -> None:
        await self._reads.close()
        if self._conn is not None:
            await self._conn.close()

    async def upsert(self, event: ArticleEvent) -> None:
        failure = (await self.upsert_many([event]))[0]
        if failure is not None:
            raise failure

    async def upsert_many(self, events: Sequence[ArticleEvent]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        try:
            async with self._writing:
                conn = await self._connection()
                # The articles and their side rows together, or none of them; each article
                # in a savepoint (a nested transaction), so one the store refuses leaves
                # the others stored.
                async with conn.transaction():
                    for event in events:
                        try:
                            async with conn.transaction():
                                await self._write_article(conn, event)
                        except Exception as exc:
                            failure = (
                                postgres_failure(exc) if isinstance(exc, psycopg.Error) else exc
                            )
                            if isinstance(failure, Unavailable):
                                raise
                            outcomes.append(failure)
                        else:
                            outcomes.append(None)
        except psycopg.Error as exc:
            failure = postgres_failure(exc)
            if isinstance(failure, Unavailable):
                # The server is down or restarting: reconnect on the next try.
                self._conn = None
            raise failure from exc
        return outcomes

    async def _write_article(self, conn: AsyncConnection[TupleRow], event: ArticleEvent) -> None:
        row = storable(ArticleRow.of(event))
        values = (
            row.id, row.trace_id, row.url, row.title, row.body, row.source, row.language,
            row.published_at, row.word_count, row.event_json,
        )  # fmt: skip
        await conn.execute(sql.SQL(_UPSERT).format(table=self.table), values)
        stored = orjson.loads(row.event_json)
        await self._write_sides(conn, row.id, stored)
        await self._stories.write(_Statements(conn, self._quoted), row.id, stored)

    async def get(self, article_id: str) -> ArticleEvent | None:
        async with self._reads.connection() as conn:
            cursor = await conn.execute(
                sql.SQL("SELECT event::text FROM {table} WHERE id = %s").format(table=self.table),
                (article_id,),
            )
            found = await cursor.fetchone()
        return ArticleEvent.from_json(found[0]) if found else None

    async def get_event(self, article_id: str) -> dict[str, Any] | None:
        async with self._reads.connection() as conn:
            cursor = await conn.execute(
                sql.SQL("SELECT event::text FROM {table} WHERE id = %s").format(table=self.table),
                (article_id,),
            )
            found = await cursor.fetchone()
        return orjson.loads(found[0]) if found else None

    async def count(self) -> int:
        async with self._reads.connection() as conn:
            cursor = await conn.execute(
                sql.SQL("SELECT count(*) FROM {table}").format(table=self.table)
            )
            found = await cursor.fetchone()
        return int(found[0]) if found else 0

    async def search_text(self, query: str, limit: int = 20) -> list[StoredArticle]:
        async with self._reads.connection() as conn:
            cursor = await conn.execute(
                sql.SQL(
                    """
                    SELECT id, title, url, source, language, published_at, stored_at,
                           ts_headline('simple', body, q, %s)
                    FROM {table}, websearch_to_tsquery('simple', %s) AS q
                    WHERE search @@ q
                    ORDER BY ts_rank(search, q) DESC, published_at DESC NULLS LAST
                    LIMIT %s
                    """
                ).format(table=self.table),
                (_HEADLINE_OPTIONS, query, limit),
            )
            rows = await cursor.fetchall()
        return [
            StoredArticle(
                id=r[0],
                title=r[1],
                url=r[2],
                source=r[3],
                language=r[4],
                published_at=r[5],
                stored_at=r[6].astimezone(UTC),
                snippet=r[7] or "",
            )
            for r in rows
        ]

    async def _alert_write(self, text: str, params: tuple[object, ...]) -> int:
        try:
            async with self._writing:
                conn = await self._connection()
                cursor = await conn.execute(_sql(text), params)
                return cursor.rowcount
        except psycopg.Error as exc:
            failure = postgres_failure(exc)
            if isinstance(failure, Unavailable):
                self._conn = None
            raise failure from exc

    async def add_alert(self, alert: AlertDefinition) -> bool:
        added = await self._alert_write(
            alert_rows.insert_alert(self._quoted, "%s"),
            (alert.name, alert.stored_json(), alert.created_at),
        )
        return added == 1

    async def get_alert(self, name: str) -> AlertDefinition | None:
        async with self._reads.connection() as conn:
            cursor = await conn.execute(_sql(alert_rows.select_alert(self._quoted, "%s")), (name,))
            found = await cursor.fetchone()
        return AlertDefinition.from_stored(found[0]) if found else None

    async def list_alerts(self) -> list[AlertDefinition]:
        async with self._reads.connection() as conn:
            cursor = await conn.execute(_sql(alert_rows.select_alerts(self._quoted)))
            rows = await cursor.fetchall()
        return [AlertDefinition.from_stored(row[0]) for row in rows]

    async def remove_alert(self, name: str) -> bool:
        removed = await self._alert_write(alert_rows.delete_alert(self._quoted, "%s"), (name,))
        return removed == 1

    async def ping(self) -> bool:
        try:
            async with self._reads.connection() as conn:
                await conn.execute("SELECT 1")
        except Exception:
            return False
        return True


EXPORT_BATCH = 1000


def _sql(text: str) -> sql.SQL:
    # Text built from constants and the checked table name only; values are parameters.
    return sql.SQL(text)


class _Statements:
    """story_tables' statements on the connection, inside its open transaction."""

    def __init__(self, conn: AsyncConnection[TupleRow], table: str) -> None:
        self.conn = conn
        self.table = table

    async def rows(self, text: str, params: Sequence[object]) -> list[Row]:
        cursor = await self.conn.execute(_sql(text), params)
        return await cursor.fetchall()

    async def execute(self, text: str, params: Sequence[object]) -> None:
        await self.conn.execute(_sql(text), params)

    async def lock_stories(self) -> None:
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table + "_story_writes",)
        )


class _Executor:
    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    async def rows(self, text: str, params: Sequence[object]) -> list[Row]:
        async with self.store._reads.connection() as conn:
            try:
                cursor = await conn.execute(_sql(text), params)
            except psycopg.errors.SyntaxError as exc:
                # websearch_to_tsquery never fails on text; this is the net under the parser.
                raise QueryError("the search words cannot be searched") from exc
            return await cursor.fetchall()

    async def stream(self, text: str, params: Sequence[object]) -> AsyncIterator[Row]:
        """A connection of its own with a server-side cursor: memory stays one batch, and
        the store's connections stay free for other requests meanwhile."""
        async with (
            self.store._reads.streaming() as conn,
            conn.cursor(name="newsflow_export") as cursor,
        ):
            cursor.itersize = EXPORT_BATCH
            await cursor.execute(_sql(text), params)
            async for row in cursor:
                yield row
