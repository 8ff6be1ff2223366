"""Where Redis and PostgreSQL become the limit: the Redis work of one article through the
four stages, measured as server CPU, and rows/s upserted into PostgreSQL.

    DATABASE_URL=postgresql://... python bench/servers_capacity.py [-n 2000]

Redis: a private `redis-server` (AOF every second, as in docker-compose.yml) so that its
counters hold only this bench. The entries are real: the raw, fetched, parsed and enriched
events of the bench pages (their sizes are printed). Per article and stage, what the
runner sends (`shared/delivery.py`): XREADGROUP (16 at a time), HINCRBY of the handling
mark, then one MULTI of XADD to the next stream, XACK, HDEL, INCR and EXPIRE of the
throughput counter. Four stage clients run at once, as four processes would. Redis runs one
thread: the server CPU per article (INFO cpu, before and after) gives the articles/s one Redis
core carries, whatever the clients' speed; `XADD` and `XREADGROUP` rates alone are printed
from INFO commandstats (server time per call).

PostgreSQL: the store's own `upsert` of the enriched events (each its own transaction, as
the sink does), from 1 and from 4 connections at once (4 sink replicas), rows/s wall time;
the table is dropped after.
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
from typing import Any

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_throughput import MAX_BYTES, load_pages, submissions
from services.enricher.enrich import enrich_event
from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from shared.events import ArticleEvent
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import encode_json
from tests.servers import PrivateRedis

STAGE_STREAMS = (
    ("raw", "fetched"),
    ("fetched", "parsed"),
    ("parsed", "enriched"),
    ("enriched", None),
)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def pipeline_entries() -> dict[str, list[dict[str, Any]]]:
    """The entries each stream holds for the six bench pages."""
    raw, fetched, parsed, enriched = [], [], [], []
    for sub in submissions(load_pages(), 6, "capacity"):
        raw.append(encode_json(sub.to_json()))
        event = event_from_content(sub, max_bytes=MAX_BYTES)
        fetched.append(encode_json(event.to_json()))
        event = parse_event(event, max_bytes=MAX_BYTES)
        parsed.append(encode_json(event.to_json()))
        enriched.append(encode_json(enrich_event(event).to_json()))
    return {"raw": raw, "fetched": fetched, "parsed": parsed, "enriched": enriched}


def encode_json_data(fields: dict[str, Any]) -> bytes:
    data = fields["data"]
    return data if isinstance(data, bytes) else str(data).encode()


def entry_bytes(fields: dict[str, Any]) -> int:
    return sum(len(k) + len(v if isinstance(v, bytes | str) else str(v)) for k, v in fields.items())


async def stage_loop(
    redis: Redis, inbox: str, outbox: str | None, entries: list[Any], n: int
) -> None:
    """What one stage's runner sends Redis for n entries of its inbox."""
    group, consumer = "g", f"c-{inbox}"
    done = 0
    while done < n:
        read: Any = await redis.xreadgroup(group, consumer, {inbox: ">"}, count=16, block=1000)
        for _stream, items in read or []:
            for entry_id, _fields in items:
                await redis.hincrby(f"handling:{inbox}", entry_id, 1)
                async with redis.pipeline(transaction=True) as pipe:
                    if outbox is not None:
                        pipe.xadd(outbox, entries[done % len(entries)])
                    pipe.xack(inbox, group, entry_id)
                    pipe.hdel(f"handling:{inbox}", entry_id)
                    pipe.incr(f"throughput:{inbox}:{int(time.time())}")
                    pipe.expire(f"throughput:{inbox}:{int(time.time())}", 120)
                    await pipe.execute()
                done += 1


async def redis_capacity(url: str, n: int) -> None:
    entries = pipeline_entries()
    for name, items in entries.items():
        print(
            f"  {name:9s} entry: {sum(map(entry_bytes, items)) / len(items) / 1024:6.1f} KiB mean"
        )
    clients = [Redis.from_url(url) for _ in STAGE_STREAMS]
    admin = clients[0]
    for inbox, _ in STAGE_STREAMS:
        await admin.xgroup_create(inbox, "g", id="0", mkstream=True)
    await admin.config_resetstat()
    cpu_before: Any = await admin.info("cpu")
    start = time.perf_counter()
    loops = [
        asyncio.create_task(stage_loop(c, inbox, outbox, entries[outbox] if outbox else [], n))
        for c, (inbox, outbox) in zip(clients, STAGE_STREAMS, strict=True)
    ]
    for i in range(n):
        await admin.xadd("raw", entries["raw"][i % len(entries["raw"])])
    await asyncio.gather(*loops)
    wall = time.perf_counter() - start
    cpu_after: Any = await admin.info("cpu")
    stats: Any = await admin.info("commandstats")
    used = sum(
        float(cpu_after[k]) - float(cpu_before[k])
        for k in ("used_cpu_sys_main_thread", "used_cpu_user_main_thread")
        if k in cpu_after
    ) or sum(float(cpu_after[k]) - float(cpu_before[k]) for k in ("used_cpu_sys", "used_cpu_user"))
    per_article_us = used * 1e6 / n
    rate = n / wall
    print(f"  {n} articles through four stage clients in {wall:.1f} s ({rate:.0f}/s, client-bound)")
    print(f"  Redis server CPU per article, all four stages: {per_article_us:.0f} us")
    print(
        f"  -> one Redis core carries about {1e6 / per_article_us:,.0f} articles/s "
        f"({86400e6 / per_article_us / 1e6:.0f}M a day)"
    )
    for command in ("xadd", "xreadgroup", "xack", "exec"):
        stat = stats.get(f"cmdstat_{command}")
        if stat:
            # XREADGROUP is counted per entry it returned (4 n in all), the others per call.
            per = stat["usec"] / (4 * n) if command == "xreadgroup" else stat["usec_per_call"]
            what = "entry read" if command == "xreadgroup" else "call"
            print(
                f"  {command.upper():10s} {stat['calls']:6d} calls, {per:6.1f} us server time "
                f"per {what} (-> {1e6 / per:,.0f}/s on one core)"
            )
    for c in clients:
        await c.aclose()
    await dedup_memory(url, n)


async def dedup_memory(url: str, n: int) -> None:
    """Redis memory per article of the near-duplicate index (what NEWSFLOW_DEDUP_WINDOW_S
    bounds): n distinct texts (each a shuffle of a bench page's words)."""
    import random

    from services.enricher.duplicates import DuplicateIndex

    words = [
        e.article.text.split() for e in (ArticleEvent.from_json(encode_json_data(f)) for f in
        pipeline_entries()["parsed"]) if e.article is not None
    ]  # fmt: skip
    redis = Redis.from_url(url)
    await redis.flushdb()
    before = int((await redis.info("memory"))["used_memory"])
    index = DuplicateIndex(redis, "dedup-bench", window_s=86_400)
    shuffler = random.Random(1)
    for i in range(n):
        text = list(words[i % len(words)])
        shuffler.shuffle(text)
        await index.check_and_add(f"article-{i}", " ".join(text))
    after = int((await redis.info("memory"))["used_memory"])
    print(f"  near-duplicate index: {(after - before) / n / 1024:.1f} KiB of Redis per article")
    await redis.aclose()


async def upsert_rate(
    settings: Settings, events: list[ArticleEvent], connections: int, batch: int = 1
) -> float:
    """Rows/s of the store's upsert from `connections` at once; with `batch` > 1, that many
    upserts share one transaction (each its own savepoint, so one failing row would not undo
    the others): what a batched sink would commit."""

    async def one(part: list[ArticleEvent]) -> None:
        async with opened_store(settings) as store:
            for i in range(0, len(part), batch):
                if batch == 1:
                    await store.upsert(part[i])
                    continue
                conn = await store._connection()  # type: ignore[attr-defined]
                async with conn.transaction():
                    for event in part[i : i + batch]:
                        await store.upsert(event)

    parts = [events[i::connections] for i in range(connections)]
    start = time.perf_counter()
    await asyncio.gather(*(one(part) for part in parts))
    return len(events) / (time.perf_counter() - start)


def postgres_capacity(n: int) -> None:
    pages = load_pages()
    base = [
        enrich_event(parse_event(event_from_content(s, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES))
        for s in submissions(pages, len(pages), "pg")
    ]
    events = [
        base[i % len(base)].model_copy(update={"id": f"capacity-{uuid.uuid4().hex}"})
        for i in range(n)
    ]
    table = f"capacity_{uuid.uuid4().hex[:8]}"
    settings = Settings.model_validate({"table_name": table})
    from tests.store_tables import drop_store_tables

    try:
        for connections, batch in ((1, 1), (1, 16), (4, 1)):
            fresh = [e.model_copy(update={"id": f"{e.id}-{connections}-{batch}"}) for e in events]
            rate = asyncio.run(upsert_rate(settings, fresh, connections, batch))
            how = f"{connections} connection(s), " + (
                "one transaction per row" if batch == 1 else f"one transaction per {batch} rows"
            )
            print(f"  upsert, {how}: {rate:7.0f} rows/s ({n} new articles)")
        print(
            f"  stored size: {table_bytes(table) / (3 * n) / 1024:.1f} KiB per article, indexes "
            "and side tables included"
        )
    finally:
        drop_store_tables(os.environ["DATABASE_URL"], table)


def table_bytes(table: str) -> int:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(quote_ident(tablename))) FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename LIKE %s",
            (f"{table}%",),
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="articles")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; before: {load()}")
    print("Redis (private redis-server, AOF everysec):")
    with tempfile.TemporaryDirectory() as tmp:
        server = PrivateRedis(Path(tmp))
        server.start()
        try:
            asyncio.run(redis_capacity(server.url, args.n))
        finally:
            server.stop()
    if os.environ.get("DATABASE_URL"):
        print("PostgreSQL (DATABASE_URL):")
        postgres_capacity(min(args.n, 1000))
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
