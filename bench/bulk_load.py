"""Fill an article table and its side tables with N articles fast, for the read-side bench
only (the product stores through `upsert`, some 55 articles/s, which would take five hours
for a million).

A few thousand seed articles go through the real `upsert` (so their row, `search` vector,
event and side rows are what the sink writes); SQL then multiplies them with INSERT ...
SELECT over generate_series: each copy gets its own id and URL, a date spread over two
years, one of 60 sources and one of the bench languages, and its seed's countries,
entities, topics, places and authors in the side tables. The copies keep their seed's
title, body and stored event (whose `id` is the seed's). The indexes are dropped while
loading and built again after, the tables are UNLOGGED (no WAL: a bench table), and the
tables are analysed at the end.
"""

from __future__ import annotations

import time

import psycopg
from psycopg import sql

from shared.store.facet_rows import SIDE_TABLES

BATCH = 100_000
_SECONDS_IN_TWO_YEARS = 2 * 365 * 86400


def _q(text: str) -> sql.SQL:
    # Built from constants and the bench's own table name only.
    return sql.SQL(text)  # type: ignore[arg-type]


def multiply(url: str, table: str, n: int) -> None:
    """Grow `table` (already holding its seeds) to n articles; prints each step's time."""
    sides = [f"{table}_{name}" for name in SIDE_TABLES]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET synchronous_commit = off")
        for name in (table, *sides):
            conn.execute(_q(f"ALTER TABLE {name} SET UNLOGGED"))
        seeds = int(conn.execute(_q(f"SELECT count(*) FROM {table}")).fetchone()[0])  # type: ignore[index]
        conn.execute("DROP TABLE IF EXISTS bench_seeds")
        conn.execute(
            _q(
                f"CREATE TEMP TABLE bench_seeds AS SELECT (row_number() OVER (ORDER BY id)) - 1"
                f" AS n, * FROM {table}"
            )
        )
        conn.execute("CREATE INDEX ON bench_seeds (n)")
        for name in SIDE_TABLES:
            # The seeds' side rows apart, so a copy never reads the growing side table.
            conn.execute(_q(f"DROP TABLE IF EXISTS bench_seed_{name}"))
            conn.execute(
                _q(
                    f"CREATE TEMP TABLE bench_seed_{name} AS SELECT b.n, x.*"
                    f" FROM bench_seeds b JOIN {table}_{name} x ON x.article_id = b.id"
                )
            )
            conn.execute(_q(f"CREATE INDEX ON bench_seed_{name} (n)"))
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexname NOT LIKE '%%_pkey'",
            ([table, *sides],),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(_q(f"DROP INDEX {name}"))
        began = time.perf_counter()
        for first in range(0, n - seeds, BATCH):
            last = min(first + BATCH, n - seeds) - 1
            _copy_batch(conn, table, seeds, first, last)
            done = last + 1 + seeds
            print(f"  {done} articles, {time.perf_counter() - began:.0f} s", flush=True)
        began = time.perf_counter()
        for _, definition in indexes:
            conn.execute(_q(definition))
        print(f"  indexes built in {time.perf_counter() - began:.0f} s", flush=True)
        for name in (table, *sides):
            conn.execute(_q(f"VACUUM ANALYZE {name}"))


def _copy_batch(conn: psycopg.Connection[tuple[object, ...]], table: str, seeds: int,
                first: int, last: int) -> None:  # fmt: skip
    copies = f"FROM generate_series({first}, {last}) g"
    with conn.transaction():
        conn.execute(
            _q(
                f"INSERT INTO {table} (id, trace_id, url, title, body, source, language,"
                " published_at, word_count, event)"
                " SELECT 'bulk' || lpad(g::text, 9, '0'), s.trace_id, s.url || '#' || g,"
                " s.title, s.body, 'source' || (g % 60),"
                " (ARRAY['en', 'en', 'en', 'de', 'fr', 'ru', 'es'])[1 + g % 7],"
                " timestamptz '2020-01-01 00:00:00+00'"
                f" + make_interval(secs => floor(random() * {_SECONDS_IN_TWO_YEARS})),"
                f" s.word_count, s.event {copies} JOIN bench_seeds s ON s.n = g % {seeds}"
            )
        )
        for name, columns in SIDE_TABLES.items():
            listed = ", ".join(columns)
            picked = ", ".join(f"x.{c}" for c in columns)
            conn.execute(
                _q(
                    f"INSERT INTO {table}_{name} (article_id, {listed})"
                    f" SELECT 'bulk' || lpad(g::text, 9, '0'), {picked} {copies}"
                    f" JOIN bench_seed_{name} x ON x.n = g % {seeds}"
                )
            )
