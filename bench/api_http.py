"""The read side through HTTP: what a client of the api waits for, on top of the store's own
query times (bench/api_queries.py). Loads N articles (the same varied ones) into a
PostgreSQL table of its own, serves the api on a free loopback port, then times:

    DATABASE_URL=postgresql://... REDIS_URL=redis://... python -m bench.api_http --n 20000

p50/p95 (ms) of /api/articles (q alone; q + country + a month), /api/counts (daily, a
year), /api/top/entities (a month), and /api/export rows/s as CSV. The table is dropped at
the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from pathlib import Path

import httpx
import psycopg

from bench.api_queries import templates, varied
from shared.settings import Settings
from shared.store.postgres import PostgresStore
from tests.api.server import served_api_in_thread

TABLE = "bench_api_http"
_SIDE_TABLES = ("", "_countries", "_entities", "_topics", "_places", "_authors", "_meta")


async def load(url: str, n: int) -> None:
    store = PostgresStore(url, TABLE)
    await store.open()
    try:
        if await store.count() >= n:
            return
        rng = random.Random(13)
        bases = templates()
        for number in range(n):
            await store.upsert(varied(bases[number % len(bases)], number, rng))
    finally:
        await store.close()


def timed(client: httpx.Client, label: str, runs: int, path: str, params: dict[str, str]) -> None:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        answer = client.get(path, params=params)
        answer.raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{label:34s} p50 {statistics.median(times):8.1f} ms  p95 {p95:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    began = time.perf_counter()
    asyncio.run(load(url, args.n))
    print(f"{args.n} articles in {TABLE} ({time.perf_counter() - began:.0f} s to load)")
    settings = Settings.model_validate(
        {
            "DATABASE_URL": url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
            "table_name": TABLE,
            "sqlite_path": Path("unused.db"),
            "http_port": 0,
        }
    )
    month = {"from": "2020-06-01", "to": "2020-06-30"}
    try:
        with (
            served_api_in_thread(settings) as base,
            httpx.Client(base_url=base, timeout=120) as client,
        ):
            timed(client, "/api/articles q", args.runs, "/api/articles", {"q": "the"})
            timed(client, "/api/articles q+country+month", args.runs, "/api/articles",
                  {"q": "the", "country": "KP", **month})  # fmt: skip
            timed(client, "/api/counts day, a year", args.runs, "/api/counts",
                  {"from": "2020-01-01", "to": "2020-12-31", "interval": "day"})  # fmt: skip
            timed(client, "/api/top/entities a month", args.runs, "/api/top/entities", month)
            began = time.perf_counter()
            rows = -1  # the header
            with client.stream("GET", "/api/export") as answer:
                for _line in answer.iter_lines():
                    rows += 1
            elapsed = time.perf_counter() - began
            print(f"/api/export csv: {rows} rows in {elapsed:.1f} s, {rows / elapsed:.0f} rows/s")
    finally:
        if not args.keep:
            with psycopg.connect(url, autocommit=True) as conn:
                for suffix in _SIDE_TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {TABLE}{suffix}")  # type: ignore[call-overload]


if __name__ == "__main__":
    main()
