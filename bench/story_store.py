"""What keeping stories costs the sink: the time of the store's upsert per article, with and
without a story link, on PostgreSQL and SQLite, as stories grow.

    DATABASE_URL=postgresql://... python -m bench.story_store --n 2000 --story-size 200

Stores N small enriched articles in stories of --story-size articles each (every tenth
article merges a one-article story into its own), then the same N without stories, and
prints p50/p95 (ms) of the upsert for each store. A story's row is recomputed from its
members on every upsert (story_tables.py), through reads bounded by the story's size (the
top values sample its 200 most recent members), so the cost grows little with it. Tables
are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from shared.events import (
    Article,
    ArticleEvent,
    CountryMention,
    Enrichment,
    Entity,
    Raw,
    Source,
    StoryLink,
)
from shared.store.article_store import ArticleStore
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore

START = datetime(2024, 1, 1, tzinfo=UTC)


def article(n: int, story: str | None, merged: list[str]) -> ArticleEvent:
    text = f"Report {n} on the event: officials in the capital said more today. " * 8
    return ArticleEvent(
        id=f"bench-{n}",
        trace_id=f"t{n}",
        source=Source(name=f"source{n % 40}", url=f"https://example.com/{n}"),
        raw=Raw(content_type="text/plain"),
        article=Article(title=f"Report {n}", text=text, published_at=START + timedelta(minutes=n)),
        enrichment=Enrichment(
            word_count=len(text.split()),
            reading_time_s=10,
            entities=[
                Entity(type="person", text=f"Person {n % 7}", label="PER", count=1, offsets=[])
            ],
            countries=[
                CountryMention(
                    alpha2="KP", alpha3="PRK", name="North Korea", count=1, score=1.0, focus=True
                )
            ],
            story=StoryLink(id=story, size=1, new=False, merged=merged) if story else None,
        ),
    )


async def timed(store: ArticleStore, events: list[ArticleEvent]) -> list[float]:
    times = []
    for event in events:
        began = time.perf_counter()
        await store.upsert(event)
        times.append((time.perf_counter() - began) * 1000)
    return times


def line(name: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1]
    return f"{name:<34} p50 {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms"


async def bench(store: ArticleStore, name: str, n: int, size: int) -> None:
    await store.open()
    storied = []
    for i in range(n):
        merged = [f"lone-{i}"] if i % 10 == 9 else []
        storied.append(article(i, f"story-{i // size}", merged))
    lone = [article(i, f"lone-{i}", []) for i in range(9, n, 10)]
    await timed(store, lone)  # the one-article stories the merges take in
    plain = [article(n + i, None, []) for i in range(n)]
    print(line(f"{name}, in stories of {size}", await timed(store, storied)))
    print(line(f"{name}, without a story", await timed(store, plain)))
    print(line(f"{name}, replayed into stories", await timed(store, storied[-size:])))
    await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--story-size", type=int, default=200)
    args = parser.parse_args()
    table = f"bench_stories_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        await bench(SqliteStore(Path(tmp) / "bench.db", table), "SQLite", args.n, args.story_size)
    url = os.environ.get("DATABASE_URL")
    if url:
        try:
            await bench(PostgresStore(url, table), "PostgreSQL", args.n, args.story_size)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE tablename LIKE %s", (f"{table}%",)
                ).fetchall():
                    conn.execute(f'DROP TABLE IF EXISTS "{name}"')  # type: ignore[call-overload]


if __name__ == "__main__":
    asyncio.run(main())
