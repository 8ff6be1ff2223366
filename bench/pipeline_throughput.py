"""End-to-end throughput and latency of the pipeline, beside the bare stage functions.

    REDIS_URL=redis://localhost:6379/0 python bench/pipeline_throughput.py -n 300

End to end: the four stages run as separate processes (as `newsflow up` runs them); N copies
of the real pages in bench/pages (each under its own URL, so each is its own article) are
published to the raw stream, and the clock stops when the last one is stored (SQLite in a
temp dir unless DATABASE_URL is set). Latency is each article's `stored_at - received_at`.

Bare: the same stage functions called in one process, one after the other (intake, parse,
enrich, the enricher's Redis analyses (near-duplicates, stories) on a prefix of their own,
upsert into SQLite with the story tables), with no stream in between.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import redis

from newsflow_cli.supervisor import StageProcesses
from services.enricher.enrich import enrich_event
from services.enricher.redis_analyses import RedisAnalyses
from services.fetcher.intake import event_from_content
from services.parser.decode import decode_document
from services.parser.parse import parse_event
from shared.events import RawSubmission
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.store.sqlite import SqliteStore
from shared.streams import StreamNames, encode_json

PAGES = Path(__file__).resolve().parent / "pages"
MAX_BYTES = 10 * 1024 * 1024


def forget_prefix(client: redis.Redis, prefix: str) -> None:
    """Every key of a bench run's own prefix, deleted."""
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def load_pages() -> list[tuple[str, str]]:
    manifest = json.loads((PAGES / "manifest.json").read_text())
    pages = []
    for item in manifest:
        html, _ = decode_document(gzip.decompress((PAGES / item["file"]).read_bytes()))
        pages.append((item["url"], html))
    return pages


def submissions(pages: list[tuple[str, str]], n: int, run: str) -> list[RawSubmission]:
    out = []
    for i in range(n):
        url, html = pages[i % len(pages)]
        out.append(
            RawSubmission(
                url=f"{url}{'&' if '?' in url else '?'}bench={run}-{i}",
                content=html,
                content_type="text/html",
                source="bench",
            )
        )
    return out


async def bare(subs: list[RawSubmission], db: Path) -> float:
    """Articles/s of the stage functions in this process, the enricher's Redis analyses
    included (they are part of the stage's work), on a Redis prefix deleted after."""
    store = SqliteStore(db, "bench")
    await store.open()
    settings = Settings()
    prefix = f"bench-bare-{uuid.uuid4().hex[:8]}"
    on_redis = RedisAnalyses(redis_client(settings), prefix)
    try:
        start = time.perf_counter()
        for sub in subs:
            event = event_from_content(sub, max_bytes=MAX_BYTES)
            event = enrich_event(parse_event(event, max_bytes=MAX_BYTES))
            await store.upsert(await on_redis.run(event))
        elapsed = time.perf_counter() - start
    finally:
        await store.close()
        await on_redis.close()
        client = redis.Redis.from_url(settings.redis_url.get_secret_value())
        forget_prefix(client, prefix)
        client.close()
    return len(subs) / elapsed


def end_to_end(
    subs: list[RawSubmission], workdir: Path, rate: float | None = None
) -> tuple[float, list[float]]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings.model_validate(
        {"stream_prefix": prefix, "sqlite_path": workdir / "e2e.db", "table_name": "bench"}
    )
    names = StreamNames(prefix)
    env = {
        "NEWSFLOW_STREAM_PREFIX": prefix,
        "NEWSFLOW_SQLITE_PATH": str(settings.sqlite_path),
        "NEWSFLOW_TABLE_NAME": "bench",
    }
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    procs = StageProcesses(env=env, log_dir=workdir / "logs")
    procs.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            groups = [client.exists(names.input_of(s)) for s in ("fetcher", "sink")]
            if all(groups):
                break
            time.sleep(0.2)
        time.sleep(2)  # every stage has its group and subscriber running
        start = time.perf_counter()
        if rate is None:
            pipe = client.pipeline(transaction=False)
            for sub in subs:
                pipe.xadd(names.raw, encode_json(sub.to_json()))
            pipe.execute()
        else:
            for n, sub in enumerate(subs):
                time.sleep(max(start + n / rate - time.perf_counter(), 0))
                client.xadd(names.raw, encode_json(sub.to_json()))
        stored = 0
        while stored < len(subs):
            time.sleep(0.2)
            stored = asyncio.run(_count(settings))
            if procs.exited():
                raise RuntimeError(f"a stage exited: {procs.exited()}")
        elapsed = time.perf_counter() - start
        latencies = asyncio.run(_latencies(settings))
    finally:
        procs.stop()
        forget_prefix(client, prefix)
        client.close()
    return len(subs) / elapsed, latencies


async def _count(settings: Settings) -> int:
    async with opened_store(settings) as store:
        return await store.count()


async def _latencies(settings: Settings) -> list[float]:
    import sqlite3

    db = sqlite3.connect(settings.sqlite_path)
    out = []
    for (event_json,) in db.execute("SELECT event FROM bench"):
        stamps = json.loads(event_json)["timestamps"]
        received = _ts(stamps["received_at"])
        stored = _ts(stamps["stored_at"])
        out.append(stored - received)
    db.close()
    return out


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="articles to push through")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="publish at this many articles/s (steady-state latency) instead of all at once "
        "(throughput, and latency under a burst)",
    )
    args = parser.parse_args()
    pages = load_pages()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # Warm up: load models and caches once, outside the timing.
        asyncio.run(bare(submissions(pages, len(pages), "warm"), workdir / "warm.db"))
        bare_rate = asyncio.run(bare(submissions(pages, args.n, "bare"), workdir / "bare.db"))
        e2e_rate, latencies = end_to_end(
            submissions(pages, args.n, uuid.uuid4().hex[:6]), workdir, args.rate
        )
    words = statistics.mean(
        len(
            parse_event(
                event_from_content(s, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES
            ).article.text.split()
        )  # type: ignore[union-attr]
        for s in submissions(pages, len(pages), "words")
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    how = f"published at {args.rate:g}/s" if args.rate else "published all at once"
    print(
        f"input: {args.n} articles, copies of {len(pages)} real pages "
        f"(mean {words:.0f} words), {how}"
    )
    print(f"bare stage functions, one process:  {bare_rate:7.1f} articles/s")
    print(f"end to end, four stage processes:   {e2e_rate:7.1f} articles/s")
    print(f"ratio end-to-end / bare:            {e2e_rate / bare_rate:7.2f}")
    print(
        "latency publish -> stored (s):      "
        f"p50 {percentile(latencies, 0.50):.2f}  p95 {percentile(latencies, 0.95):.2f}  "
        f"p99 {percentile(latencies, 0.99):.2f}"
    )


if __name__ == "__main__":
    main()
