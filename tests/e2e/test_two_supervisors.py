"""Several hosts against one Redis and one PostgreSQL, as two `newsflow up` on one machine:
each with a consumer-name prefix of its own (NEWSFLOW_CONSUMER_PREFIX, as two hosts have
two host names), both taking entries from every stage's group, and no entry handled twice:
every article stored once, every group has read all of them and has nothing pending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
from pydantic import SecretStr

from shared.pipeline import ARTICLE_FLOW, stage_named
from shared.settings import Settings
from shared.streams import STAGES, StreamNames
from tests.e2e.harness import group_done, stage_env, stored_count, wait_until
from tests.e2e.test_replicas import publish_distinct_articles
from tests.servers import stop_process
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.e2e

ARTICLES = 30
PREFIXES = ("host-a", "host-b")


@pytest.fixture
def postgres_settings(settings: Settings, database_url: str) -> Iterator[Settings]:
    yield settings.model_copy(update={"database_url": SecretStr(database_url)})
    drop_store_tables(database_url, settings.table_name)


def started(log: Path) -> int:
    """Stage processes of one supervisor whose subscriber runs."""
    return log.read_text(errors="replace").count("FastStream app started successfully")


def handled_by_stage(log: Path) -> dict[str, list[str]]:
    """Stage -> the entry ids the processes of one supervisor finished ("processed")."""
    handled: dict[str, list[str]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"processed"' in line:
            record = orjson.loads(line)
            if record.get("event") == "processed":
                handled[record["stage"]].append(record["entry_id"])
    return handled


def test_two_supervisors_share_every_stage_and_nothing_is_done_twice(
    postgres_settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    settings = postgres_settings
    names = StreamNames(settings.stream_prefix)
    env = {
        **os.environ,
        **stage_env(settings, NEWSFLOW_LOG_LEVEL="DEBUG"),
        "NEWSFLOW_EMBEDDED_REDIS": "never",
        "NEWSFLOW_HTTP_PORT": "0",  # two supervisors on one host: no fixed metrics ports
        # The default: the tests' 2 s would let a consumer slowed by a loaded machine lose
        # its entries to the other (at-least-once, by design), which is not what this shows.
        "NEWSFLOW_CLAIM_IDLE_MS": "30000",
    }
    logs = {prefix: tmp_path / f"{prefix}.log" for prefix in PREFIXES}
    supervisors: list[subprocess.Popen[bytes]] = []
    try:
        for prefix, log in logs.items():
            with log.open("ab") as out:
                supervisors.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "newsflow_cli",
                            "up",
                            "--no-api",
                            "--scale",
                            "enricher=1",
                        ],
                        env={**env, "NEWSFLOW_CONSUMER_PREFIX": prefix},
                        stdout=out,
                        stderr=out,
                        cwd=tmp_path,
                    )
                )
        wait_until(
            lambda: (
                all(started(log) == len(STAGES) for log in logs.values())
                or any(s.poll() is not None for s in supervisors)
            ),
            180,
            "every stage of both supervisors to start reading",
        )
        assert all(s.poll() is None for s in supervisors), "a supervisor exited"

        publish_distinct_articles(client, names, ARTICLES)
        wait_until(lambda: stored_count(settings) == ARTICLES, 240, "every article stored")
        for stage in (stage_named(name) for name in ARTICLE_FLOW):
            stream = names.stream(stage.input)
            wait_until(
                lambda s=stream, g=stage.group: group_done(client, s, g), 30, f"{stage.name} done"
            )
            group = next(
                g for g in client.xinfo_groups(stream) if g["name"].decode() == stage.group
            )
            assert group["entries-read"] == ARTICLES, stage.name
        enrichers = client.xinfo_consumers(names.parsed, "enricher")
        assert {c["name"].decode() for c in enrichers} == {"host-a-enricher-1", "host-b-enricher-1"}
    finally:
        for supervisor in supervisors:
            supervisor.send_signal(signal.SIGINT)
        for supervisor in supervisors:
            try:
                supervisor.wait(timeout=60)
            finally:
                stop_process(supervisor, 5)
    handled = {prefix: handled_by_stage(log) for prefix, log in logs.items()}
    try:
        for stage in ARTICLE_FLOW:
            every = Counter(e for prefix in PREFIXES for e in handled[prefix][stage])
            assert len(every) == ARTICLES, stage
            assert set(every.values()) == {1}, f"{stage}: an entry was handled twice"
        # Both did work; the enricher, slowest, is always shared.
        assert all(handled[prefix]["enricher"] for prefix in PREFIXES)
        # Stopped with nothing pending, each left the group.
        assert client.xinfo_consumers(names.parsed, "enricher") == []
    except AssertionError:
        for log in logs.values():
            print(f"===== {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        raise
