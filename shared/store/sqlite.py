"""SQLite adapter of the article store: the embedded default, with FTS5 for search."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from shared.alerts.definition import AlertDefinition
from shared.errors import Unavailable
from shared.events import ArticleEvent
from shared.store import alert_rows
from shared.store.article_query import QueryError, parse_websearch, to_fts5
from shared.store.article_store import ArticleRow, StoredArticle
from shared.store.facet_rows import facet_rows, stored_time
from shared.store.read_side import SqlReadSide
from shared.store.read_sql import ReadQueries, Row, sqlite_dialect
from shared.store.side_tables import BACKFILL_BATCH, BACKFILLED, side_schema, side_writes
from shared.store.storable import storable
from shared.store.store_errors import sqlite_failure
from shared.store.story_tables import (
    STORIES_BACKFILLED,
    StoryWrites,
    members_upgrade,
    story_schema,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {t} (
    id              TEXT PRIMARY KEY,
    trace_id        TEXT NOT NULL,
    url             TEXT,
    title           TEXT,
    body            TEXT NOT NULL DEFAULT '',
    source          TEXT,
    language        TEXT,
    published_at    TEXT,
    word_count      INTEGER,
    event           TEXT NOT NULL,
    first_stored_at TEXT NOT NULL,
    stored_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {t}_published_idx ON {t} (published_at);
CREATE VIRTUAL TABLE IF NOT EXISTS {t}_fts USING fts5(
    title, body, content='{t}', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS {t}_ai AFTER INSERT ON {t} BEGIN
    INSERT INTO {t}_fts(rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER IF NOT EXISTS {t}_ad AFTER DELETE ON {t} BEGIN
    INSERT INTO {t}_fts({t}_fts, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER IF NOT EXISTS {t}_au AFTER UPDATE ON {t} BEGIN
    INSERT INTO {t}_fts({t}_fts, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO {t}_fts(rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
"""

_UPSERT = """
INSERT INTO {t} (id, trace_id, url, title, body, source, language, published_at, word_count,
                 event, first_stored_at, stored_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    trace_id = excluded.trace_id, url = excluded.url, title = excluded.title,
    body = excluded.body, source = excluded.source, language = excluded.language,
    published_at = excluded.published_at, word_count = excluded.word_count,
    event = excluded.event, stored_at = excluded.stored_at
"""


class SqliteStore(SqlReadSide):
    def __init__(self, path: Path, table: str = "articles") -> None:
        self.path = path
        self.table = table
        self._db: sqlite3.Connection | None = None
        self._stories = StoryWrites(table, "?", stored_time)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("SqliteStore.open() has not run")
        return self._db

    async def open(self) -> None:
        if self.path.parent != Path():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection used from the event loop's thread only; statements take
        # microseconds, so they run inline rather than in a thread pool.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(_SCHEMA.format(t=self.table))
        self.db.executescript(side_schema(self.table))
        self.db.execute(alert_rows.alerts_schema(self.table, "TEXT"))
        self.db.executescript(story_schema(self.table, "TEXT"))
        self._backfill()
        await self._backfill_stories()
        self.open_reads(ReadQueries(sqlite_dialect(), self.table, _Executor(self.db)))

    def _backfill(self) -> None:
        """A table from an earlier release: fill the side tables from the stored events and
        store its times in UTC (they were kept in their own offsets), once."""
        t = self.table
        self.db.execute("BEGIN IMMEDIATE")
        try:
            done = self.db.execute(f"SELECT 1 FROM {t}_meta WHERE key = ?", (BACKFILLED,))
            if done.fetchone() is None:
                after = ""
                while batch := self.db.execute(
                    f"SELECT id, event, published_at FROM {t} WHERE id > ? ORDER BY id LIMIT ?",
                    (after, BACKFILL_BATCH),
                ).fetchall():
                    for article_id, event, published in batch:
                        self._write_sides(article_id, orjson.loads(event))
                        if published and published != (
                            utc := stored_time(datetime.fromisoformat(published))
                        ):
                            self.db.execute(
                                f"UPDATE {t} SET published_at = ? WHERE id = ?", (utc, article_id)
                            )
                    after = batch[-1][0]
                self.db.execute(f"INSERT INTO {t}_meta VALUES (?, 'done')", (BACKFILLED,))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    async def _backfill_stories(self) -> None:
        """A table from an earlier release: its story tables filled from the stories its
        stored events name, once; its members table brought up to date."""
        t = self.table
        self.db.execute("BEGIN IMMEDIATE")
        try:
            columns = self.db.execute(
                "SELECT name FROM pragma_table_info(?)", (f"{t}_story_members",)
            )
            for statement in members_upgrade(t, {str(row[0]) for row in columns}):
                self.db.execute(statement)
            done = self.db.execute(f"SELECT 1 FROM {t}_meta WHERE key = ?", (STORIES_BACKFILLED,))
            if done.fetchone() is None:
                after = ""
                while batch := self.db.execute(
                    f"SELECT id, event FROM {t} WHERE id > ?"
                    " AND event -> '$.enrichment.story' IS NOT NULL ORDER BY id LIMIT ?",
                    (after, BACKFILL_BATCH),
                ).fetchall():
                    for article_id, event in batch:
                        await self._stories.write(
                            _Statements(self.db), article_id, orjson.loads(event)
                        )
                    after = batch[-1][0]
                self.db.execute(f"INSERT INTO {t}_meta VALUES (?, 'done')", (STORIES_BACKFILLED,))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def _write_sides(self, article_id: str, event: dict[str, Any]) -> None:
        for statement, rows in side_writes(self.table, "?", article_id, facet_rows(event)):
            self.db.executemany(statement, rows)

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def upsert(self, event: ArticleEvent) -> None:
        failure = (await self.upsert_many([event]))[0]
        if failure is not None:
            raise failure

    async def upsert_many(self, events: Sequence[ArticleEvent]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        try:
            # The articles and their side rows together, or none of them; each article in
            # a savepoint, so one the store refuses leaves the others stored.
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for event in events:
                    self.db.execute("SAVEPOINT article")
                    try:
                        await self._write_article(event)
                    except Exception as exc:
                        failure = sqlite_failure(exc)
                        if isinstance(failure, Unavailable):
                            raise
                        self.db.execute("ROLLBACK TO article")
                        outcomes.append(failure)
                    else:
                        outcomes.append(None)
                    self.db.execute("RELEASE article")
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OverflowError) as exc:
            raise sqlite_failure(exc) from exc
        return outcomes

    async def _write_article(self, event: ArticleEvent) -> None:
        row = storable(ArticleRow.of(event))
        now = datetime.now(UTC).isoformat()
        published = stored_time(row.published_at) if row.published_at else None
        values = (
            row.id, row.trace_id, row.url, row.title, row.body, row.source, row.language,
            published, row.word_count, row.event_json, now, now,
        )  # fmt: skip
        self.db.execute(_UPSERT.format(t=self.table), values)
        stored = orjson.loads(row.event_json)
        self._write_sides(row.id, stored)
        await self._stories.write(_Statements(self.db), row.id, stored)

    async def get(self, article_id: str) -> ArticleEvent | None:
        found = self.db.execute(
            f"SELECT event FROM {self.table} WHERE id = ?", (article_id,)
        ).fetchone()
        return ArticleEvent.from_json(found[0]) if found else None

    async def get_event(self, article_id: str) -> dict[str, Any] | None:
        found = self.db.execute(
            f"SELECT event FROM {self.table} WHERE id = ?", (article_id,)
        ).fetchone()
        return orjson.loads(found[0]) if found else None

    async def count(self) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0])

    async def search_text(self, query: str, limit: int = 20) -> list[StoredArticle]:
        rows = self.db.execute(
            f"""
            SELECT a.id, a.title, a.url, a.source, a.language, a.published_at, a.stored_at,
                   snippet({self.table}_fts, 1, '', '', ' … ', 30)
            FROM {self.table}_fts JOIN {self.table} AS a ON a.rowid = {self.table}_fts.rowid
            WHERE {self.table}_fts MATCH ?
            ORDER BY bm25({self.table}_fts, 2.0, 1.0), a.published_at DESC
            LIMIT ?
            """,
            (_fts_query(query), limit),
        ).fetchall()
        return [
            StoredArticle(
                id=r[0],
                title=r[1],
                url=r[2],
                source=r[3],
                language=r[4],
                published_at=datetime.fromisoformat(r[5]) if r[5] else None,
                stored_at=datetime.fromisoformat(r[6]),
                snippet=r[7] or "",
            )
            for r in rows
        ]

    async def add_alert(self, alert: AlertDefinition) -> bool:
        try:
            cursor = self.db.execute(
                alert_rows.insert_alert(self.table, "?"),
                (alert.name, alert.stored_json(), stored_time(alert.created_at)),
            )
        except sqlite3.Error as exc:
            raise sqlite_failure(exc) from exc
        return cursor.rowcount == 1

    async def get_alert(self, name: str) -> AlertDefinition | None:
        found = self.db.execute(alert_rows.select_alert(self.table, "?"), (name,)).fetchone()
        return AlertDefinition.from_stored(found[0]) if found else None

    async def list_alerts(self) -> list[AlertDefinition]:
        rows = self.db.execute(alert_rows.select_alerts(self.table)).fetchall()
        return [AlertDefinition.from_stored(row[0]) for row in rows]

    async def remove_alert(self, name: str) -> bool:
        try:
            cursor = self.db.execute(alert_rows.delete_alert(self.table, "?"), (name,))
        except sqlite3.Error as exc:
            raise sqlite_failure(exc) from exc
        return cursor.rowcount == 1

    async def ping(self) -> bool:
        try:
            await asyncio.sleep(0)
            self.db.execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True


def _fts_query(query: str) -> str:
    """The read side's web-search syntax (article_query.py), rendered as FTS5 from its parse:
    `newsflow search` checks its words as the api's q, and PostgreSQL reads them so (each
    word an FTS5 literal searched `-bananas` as bananas). User input never reaches FTS5's
    query syntax; a query with no word to search for matches nothing."""
    try:
        return to_fts5(parse_websearch(query))
    except QueryError:
        return '""'


EXPORT_BATCH = 500


class _Statements:
    """story_tables' statements on the connection, inside the open BEGIN IMMEDIATE (which
    already keeps every other writer out)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    async def rows(self, sql: str, params: Sequence[object]) -> list[Row]:
        return self.db.execute(sql, params).fetchall()

    async def execute(self, sql: str, params: Sequence[object]) -> None:
        self.db.execute(sql, params)

    async def lock_stories(self) -> None:
        return None


class _Executor:
    """Statements on the store's connection, inline: they take milliseconds. An export
    reads its cursor a batch at a time, yielding to the event loop between batches."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    async def rows(self, sql: str, params: Sequence[object]) -> list[Row]:
        return self._execute(sql, params).fetchall()

    async def stream(self, sql: str, params: Sequence[object]) -> AsyncIterator[Row]:
        cursor = self._execute(sql, params)
        while batch := cursor.fetchmany(EXPORT_BATCH):
            for row in batch:
                yield row
            await asyncio.sleep(0)

    def _execute(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            # The parser renders only what FTS5 accepts; this is the net under it.
            if "fts5" in str(exc):
                raise QueryError("the search words cannot be searched") from None
            # Locked past busy_timeout, the disk full: the api answers 503, not 500.
            raise sqlite_failure(exc) from exc
