"""Replicas of a stage share its consumer group: `StageProcesses(replicas={"enricher": 2})`
(what `newsflow up --scale enricher=2` runs) starts two enricher processes; both take
entries, no entry is handled by both, and each serves its own /metrics."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import orjson
import pytest
import redis

from newsflow_cli.supervisor import StageProcesses
from shared.settings import Settings
from shared.streams import STAGES, StreamNames
from tests.conftest import SEED
from tests.e2e.harness import (
    group_done,
    groups_ready,
    http_get,
    print_stage_logs,
    stage_env,
    stored_count,
    wait_until,
)
from tests.servers import free_port

pytestmark = pytest.mark.e2e

ARTICLES = 40


def handled_entries(log: Path) -> list[str]:
    """The entry ids a process finished, from its debug log ("processed" lines)."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"processed"' in line:
            record = orjson.loads(line)
            if record.get("event") == "processed":
                out.append(record["entry_id"])
    return out


def forwarded_count(metrics: bytes) -> float:
    match = re.search(
        rb'^newsflow_messages_total\{outcome="forwarded",stage="enricher"\} (\S+)$',
        metrics,
        re.MULTILINE,
    )
    return float(match.group(1)) if match else 0.0


def publish_distinct_articles(client: redis.Redis, names: StreamNames, n: int) -> None:
    text = SEED.read_text()
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.xadd(
            names.raw,
            {"content": text, "url": f"https://news.example/replicas/{i}", "source": "UNN"},
        )
    pipe.execute()


def test_two_enricher_replicas_share_the_group_and_nothing_is_done_twice(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    logs = tmp_path / "logs"
    ports = {"enricher": free_port(), "enricher.2": free_port()}
    procs = StageProcesses(
        STAGES,
        replicas={"enricher": 2},
        consumer_prefix="replicas-test",
        metrics_ports=ports,
        # The default claim idle time: the tests' 2 s would let a replica slowed by a loaded
        # machine lose its entries to the other (at-least-once, by design).
        env=stage_env(
            settings,
            NEWSFLOW_LOG_LEVEL="DEBUG",
            NEWSFLOW_HTTP_HOST="127.0.0.1",
            NEWSFLOW_CLAIM_IDLE_MS="30000",
        ),
        log_dir=logs,
    )
    procs.start()
    try:
        ready = {name: f"http://127.0.0.1:{port}/health/ready" for name, port in ports.items()}
        wait_until(
            lambda: all(http_get(url)[0] == 200 for url in ready.values()) or bool(procs.exited()),
            120,
            "both enricher replicas to be ready (model loaded)",
        )
        wait_until(lambda: groups_ready(client, names, STAGES), 60, "every stage's group")
        assert not procs.exited(), f"a stage exited: {procs.exited()}"

        publish_distinct_articles(client, names, ARTICLES)
        wait_until(lambda: stored_count(settings) == ARTICLES, 240, "every article stored")
        wait_until(lambda: group_done(client, names.parsed, "enricher"), 60, "enricher done")

        consumers = {
            c["name"].decode(): c for c in client.xinfo_consumers(names.parsed, "enricher")
        }
        assert set(consumers) == {"replicas-test-enricher-1", "replicas-test-enricher-2"}

        by_replica = {
            name: handled_entries(logs / f"{name}.log") for name in ("enricher", "enricher.2")
        }
        assert all(by_replica.values()), {k: len(v) for k, v in by_replica.items()}
        every = Counter(e for entries in by_replica.values() for e in entries)
        assert len(every) == ARTICLES
        assert set(every.values()) == {1}, "an entry was handled by both replicas"
        assert client.xlen(names.enriched) == ARTICLES

        # Each replica counts its own work on its own /metrics.
        counted = {
            name: forwarded_count(http_get(f"http://127.0.0.1:{port}/metrics")[1])
            for name, port in ports.items()
        }
        assert counted == {name: len(by_replica[name]) for name in ports}
    except BaseException:
        print_stage_logs(logs)
        raise
    finally:
        procs.stop()
