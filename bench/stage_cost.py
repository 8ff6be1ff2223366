"""CPU milliseconds per article of each stage's work, the figures `newsflow up` shares the
cores by (`PipelineStage.cpu_ms`, shared/pipeline.py) and docs/scaling.md sizes machines by.

    python bench/stage_cost.py [-n 120]

The real pages of bench/pages (copies, each under its own URL) go through the stage
functions in one process, one stage at a time: the fetcher's intake of given content, the
parser, the enricher (NER included) and the sink's upsert (SQLite in a temp dir, and
PostgreSQL when DATABASE_URL is set). Each stage's figure includes decoding its input event
from JSON and encoding its output, as the stage process does per entry; not included: the
Redis round trips (forward+ack, a few per entry). The enricher's analyses on Redis
(near-duplicates, stories) are a line of their own (REDIS_URL), and the sink's figures
store the articles with the stories those gave them (the story tables written too).
CPU time (`time.process_time`) rather than wall time, so other work on the machine
inflates it less; the load average is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_throughput import MAX_BYTES, forget_prefix, load_pages, submissions
from services.enricher.enrich import enrich_event
from services.enricher.redis_analyses import RedisAnalyses
from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from shared.events import ArticleEvent
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.store.backends import opened_store


def cpu_ms(work: Callable[[], object], n: int) -> float:
    start = time.process_time()
    work()
    return (time.process_time() - start) * 1000 / n


def hop(event: ArticleEvent) -> ArticleEvent:
    """What a stage does to an event besides its work: decode its input, encode its output."""
    return ArticleEvent.from_json(event.to_json())


async def upsert_all(settings: Settings, events: list[ArticleEvent]) -> float:
    async with opened_store(settings) as store:
        start = time.process_time()
        for event in events:
            await store.upsert(hop(event))
        return (time.process_time() - start) * 1000 / len(events)


async def on_redis_all(events: list[ArticleEvent]) -> tuple[float, list[ArticleEvent]]:
    """The enricher's analyses on Redis (near-duplicates, stories), on a prefix of their
    own: CPU of this process (the Redis server's is not counted)."""
    settings = Settings()
    prefix = f"cost-{uuid.uuid4().hex[:8]}"
    on_redis = RedisAnalyses(redis_client(settings), prefix)
    out: list[ArticleEvent] = []
    try:
        start = time.process_time()
        for event in events:
            out.append(hop(await on_redis.run(event)))
        ms = (time.process_time() - start) * 1000 / len(events)
    finally:
        await on_redis.close()
        with redis.Redis.from_url(settings.redis_url.get_secret_value()) as client:
            forget_prefix(client, prefix)
    return ms, out


def measure(n: int) -> dict[str, float]:
    pages = load_pages()
    run = uuid.uuid4().hex[:6]
    subs = submissions(pages, n, run)
    # Warm up: the NER model and caches load outside the timing.
    for sub in submissions(pages, len(pages), f"warm-{run}"):
        enrich_event(parse_event(event_from_content(sub, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES))
    fetched: list[ArticleEvent] = []
    parsed: list[ArticleEvent] = []
    enriched: list[ArticleEvent] = []
    costs = {
        "fetcher": cpu_ms(
            lambda: fetched.extend(hop(event_from_content(s, max_bytes=MAX_BYTES)) for s in subs),
            n,
        ),
        "parser": cpu_ms(
            lambda: parsed.extend(hop(parse_event(hop(e), max_bytes=MAX_BYTES)) for e in fetched),
            n,
        ),
        "enricher": cpu_ms(lambda: enriched.extend(hop(enrich_event(hop(e))) for e in parsed), n),
    }
    costs["enricher, Redis analyses"], enriched = asyncio.run(on_redis_all(enriched))
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = Settings.model_validate(
            {"DATABASE_URL": None, "sqlite_path": Path(tmp) / "cost.db", "table_name": "cost"}
        )
        costs["sink (SQLite)"] = asyncio.run(upsert_all(sqlite, enriched))
    if os.environ.get("DATABASE_URL"):
        table = f"cost_{run}"
        postgres = Settings.model_validate({"table_name": table})
        costs["sink (PostgreSQL)"] = asyncio.run(upsert_all(postgres, enriched))
        from tests.store_tables import drop_store_tables

        drop_store_tables(os.environ["DATABASE_URL"], table)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=120, help="articles per stage")
    args = parser.parse_args()
    load_before = os.getloadavg()
    costs = measure(args.n)
    print(
        f"{os.cpu_count()} cores; load average before {load_before[0]:.1f}, "
        f"after {os.getloadavg()[0]:.1f} (a quiet machine is below 1)"
    )
    print(f"CPU ms per article, {args.n} copies of the bench pages, in-process:")
    for stage, ms in costs.items():
        print(f"  {stage:26s} {ms:7.2f} ms   ({1000 / ms:6.1f} articles/s per core)")


if __name__ == "__main__":
    main()
