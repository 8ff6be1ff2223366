"""Read-side query times on PostgreSQL: load N articles made from the bench pages (varied
dates, sources, languages, countries, entities, topics; --seeds of them through the store's
upsert, the rest copies made in SQL by bench/bulk_load.py), then time the API's queries.

    DATABASE_URL=postgresql://... python -m bench.api_queries --n 1000000

Prints p50/p95 (ms) of: the first page, newest first; q alone (a word of every article,
and one of one in six); q + country + a month; daily counts over a year; top
entities of a month; and export rows/s. The table is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from bench.bulk_load import multiply
from services.fetcher.intake import event_from_content
from services.parser.decode import decode_document
from services.parser.parse import parse_event
from shared.events import ArticleEvent, CountryMention, Enrichment, Entity, RawSubmission, Topic
from shared.store.article_query import ArticleQuery
from shared.store.postgres import PostgresStore

PAGES = Path(__file__).resolve().parent / "pages"
COUNTRIES = ["US", "GB", "RU", "KP", "KR", "CN", "DE", "FR", "UA", "IN", "BR", "JP"]
SOURCES = [f"source{i}" for i in range(60)]
LANGUAGES = ["en", "en", "en", "de", "fr", "ru", "es"]
NAMES = [f"Person {i}" for i in range(400)]
TOPICS = [Topic(code=f"medtop:{i:02d}000000", label=f"topic {i}", score=0.5) for i in range(17)]
START = datetime(2020, 1, 1, tzinfo=UTC)


def templates() -> list[ArticleEvent]:
    events = []
    for path in sorted(PAGES.glob("*.html.gz")):
        html, _ = decode_document(gzip.decompress(path.read_bytes()), "text/html")
        raw = event_from_content(
            RawSubmission(content=html, content_type="text/html"), max_bytes=1 << 24
        )
        events.append(parse_event(raw, max_bytes=1 << 24))
    return events


def varied(template: ArticleEvent, n: int, rng: random.Random) -> ArticleEvent:
    assert template.article is not None
    countries = rng.sample(COUNTRIES, rng.randint(1, 3))
    published = START + timedelta(seconds=rng.randrange(2 * 365 * 86400))
    return template.model_copy(
        update={
            "id": f"bench{n:08d}",
            "source": template.source.model_copy(update={"name": rng.choice(SOURCES)}),
            "article": template.article.model_copy(update={"published_at": published}),
            "enrichment": Enrichment(
                word_count=100, reading_time_s=30,
                countries=[CountryMention(alpha2=c, alpha3=c + "X", name=c, count=1, score=1.0,
                                          focus=True) for c in countries],
                entities=[Entity(type="person", text=e, label="PERSON", count=1, offsets=[(0, 1)])
                          for e in rng.sample(NAMES, 4)],
                topics=[rng.choice(TOPICS)],
            ),
        }
    )  # fmt: skip


async def timed(label: str, runs: int, call: object) -> None:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    print(f"{label:40s} p50 {statistics.median(times):8.1f} ms  p95 {p95:8.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--q-runs", type=int, default=5, help="runs of `q` alone (slowest)")
    parser.add_argument("--seeds", type=int, default=1000, help="articles through upsert")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="time a table kept by --keep")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    table = "bench_api_queries"
    store = PostgresStore(url, table)
    await store.open()
    rng = random.Random(13)
    bases = templates()
    began = time.perf_counter()
    for n in range(0 if args.reuse else min(args.seeds, args.n)):
        await store.upsert(varied(bases[n % len(bases)], n, rng))
    if not args.reuse:
        print(f"{min(args.seeds, args.n)} seeds upserted in {time.perf_counter() - began:.0f} s")
    if args.n > args.seeds and not args.reuse:
        multiply(url, table, args.n)
    print(f"loaded {args.n} articles in {time.perf_counter() - began:.0f} s")
    print(f"load average before the queries: {os.getloadavg()}")
    word = "the"
    month = {
        "date_from": datetime(2020, 6, 1, tzinfo=UTC),
        "date_to": datetime(2020, 7, 1, tzinfo=UTC),
    }
    # The web page's opening view: the newest articles, no filter.
    await timed("first page, newest", args.runs, lambda: store.search(ArticleQuery()))
    await timed("q alone", args.q_runs, lambda: store.search(ArticleQuery(q=word)))
    # A word of one page in six (a topical word: some 170,000 of a million).
    await timed(
        "q alone, a word of one article in six",
        args.q_runs,
        lambda: store.search(ArticleQuery(q="argentina")),
    )
    await timed(
        "q + country + a month",
        args.runs,
        lambda: store.search(ArticleQuery(q=word, countries=("KP",), **month)),
    )
    year = ArticleQuery(date_from=START, date_to=START + timedelta(days=365))
    await timed("daily counts over a year", args.runs, lambda: store.counts(year, "day"))
    await timed("top entities of a month", args.runs,
                lambda: store.top(ArticleQuery(**month), "entities"))  # fmt: skip
    # A month's articles (some 42,000 of a million): the whole store would take minutes.
    began = time.perf_counter()
    rows = sum([1 async for _ in store.export(ArticleQuery(**month))])
    print(f"export of a month: {rows} rows, {rows / (time.perf_counter() - began):.0f} rows/s")
    print(f"load average after the queries: {os.getloadavg()}")
    await store.close()
    if not args.keep:
        # Every table the store made beside the articles' (side rows, stories, alerts).
        with psycopg.connect(url, autocommit=True) as conn:
            made = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND (tablename = %s OR tablename LIKE %s)",
                (table, f"{table}\\_%"),
            ).fetchall()
            for (name,) in made:
                conn.execute(f"DROP TABLE IF EXISTS {name}")  # type: ignore[call-overload]


if __name__ == "__main__":
    asyncio.run(main())
