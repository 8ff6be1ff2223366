"""What the sink's batching gives: the sink stage alone storing N enriched articles, one
transaction per article (`NEWSFLOW_SINK_BATCH=1`) against the articles it holds at once in
one transaction (16), on SQLite and, when DATABASE_URL is set, on PostgreSQL.

    REDIS_URL=redis://localhost:6379/0 [DATABASE_URL=postgresql://...] \\
        python bench/sink_batching.py [-n 1000] [--rounds 2]

The articles are the real pages of bench/pages, enriched once, then copied under their own
ids, each in a story of its own (so each upsert writes its story rows too, as in a stream of
distinct events). They are all on the enriched stream before the sink starts; the clock
runs from the sink's start until its group has nothing left, in this process (the sink's
stage app, as `newsflow up` runs it, with its delivery, acks and dead letters). Wall-clock
articles/s and this process's CPU ms per article; the two settings alternate, `--rounds`
times each, and the load average is printed: other work on the machine lowers both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pydantic import SecretStr
from redis import Redis as SyncRedis
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_throughput import MAX_BYTES, forget_prefix, load_pages, submissions
from services.enricher.enrich import enrich_event
from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from services.sink.stage import open_sink
from shared.events import ArticleEvent, StoryLink
from shared.pipeline import stage_named
from shared.settings import Settings
from shared.stage_app import StageApp
from shared.streams import StreamNames, encode_json
from tests.store_tables import drop_store_tables


def enriched_copies(n: int) -> list[ArticleEvent]:
    pages = load_pages()
    enriched = [
        enrich_event(parse_event(event_from_content(sub, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES))
        for sub in submissions(pages, len(pages), "sink")
    ]
    copies = []
    for i in range(n):
        event = enriched[i % len(enriched)]
        assert event.enrichment is not None
        story = StoryLink(id=f"story-{i}", size=1, new=True, score=1.0)
        copies.append(
            event.model_copy(
                update={
                    "id": f"{event.id[:24]}-{i}",
                    "enrichment": event.enrichment.model_copy(update={"story": story}),
                }
            )
        )
    return copies


async def run_sink(settings: Settings, events: list[ArticleEvent]) -> tuple[float, float]:
    """Articles/s and CPU ms per article of the sink stage storing `events`."""
    names = StreamNames(settings.stream_prefix)
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    try:
        pipe = redis.pipeline(transaction=False)
        for event in events:
            pipe.xadd(names.enriched, encode_json(event.to_json()))
        await pipe.execute()
        sink = StageApp(stage_named("sink"), settings, open_sink, max_workers=settings.sink_batch)
        cpu, start = time.process_time(), time.perf_counter()
        await sink.app.start()
        try:
            while True:
                groups = await redis.xinfo_groups(names.enriched)
                group = next((g for g in groups if g["name"] in (b"sink", "sink")), None)
                if group is not None and group["lag"] == 0 and group["pending"] == 0:
                    break
                await asyncio.sleep(0.02)
            elapsed, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        finally:
            await sink.app.stop()
        if await redis.xlen(names.dlq):
            raise RuntimeError("the bench's articles were dead-lettered")
        return len(events) / elapsed, cpu_s * 1000 / len(events)
    finally:
        await redis.aclose()
        with SyncRedis.from_url(settings.redis_url.get_secret_value()) as client:
            forget_prefix(client, settings.stream_prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="articles per run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    events = enriched_copies(args.n)
    database_url = os.environ.get("DATABASE_URL")
    stores = ["sqlite", "postgres"] if database_url else ["sqlite"]
    print(f"{args.n} enriched articles per run; load average before {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for store in stores:
            results: dict[int, list[tuple[float, float]]] = {1: [], 16: []}
            for r in range(args.rounds):
                for batch in (1, 16) if r % 2 == 0 else (16, 1):
                    table = f"bench_sink_{uuid.uuid4().hex[:8]}"
                    settings = Settings.model_validate(
                        {
                            "DATABASE_URL": None,
                            "stream_prefix": f"bench-sink-{uuid.uuid4().hex[:8]}",
                            "table_name": table,
                            "sqlite_path": Path(tmp) / f"{table}.db",
                            "sink_batch": batch,
                            "http_port": 0,
                            "log_level": "WARNING",
                        }
                    )
                    if store == "postgres":
                        assert database_url is not None
                        settings = settings.model_copy(
                            update={"database_url": SecretStr(database_url)}
                        )
                    try:
                        results[batch].append(asyncio.run(run_sink(settings, events)))
                    finally:
                        if store == "postgres":
                            assert database_url is not None
                            drop_store_tables(database_url, table)
            for batch, runs in results.items():
                rates = ", ".join(f"{rate:.0f}" for rate, _ in runs)
                cpu = ", ".join(f"{ms:.2f}" for _, ms in runs)
                print(
                    f"{store:8s} sink_batch={batch:<3d} articles/s: {rates:18s}"
                    f" CPU ms/article: {cpu}"
                )
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
