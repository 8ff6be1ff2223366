"""The whole pipeline as a user runs it: four stage processes, a raw XADD of flat fields,
the enriched event through `newsflow subscribe`, one stored row in PostgreSQL and SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import redis

from shared.settings import Settings
from shared.streams import StreamNames, decode_event_entry
from tests.conftest import SEED
from tests.e2e.harness import group_done, running_stages, stage_env, stored_count, wait_until

pytestmark = pytest.mark.e2e

HEADLINE = (
    "DPRK troops' participation in Russia's war against Ukraine: "
    "Seoul condemns cooperation between Moscow and Pyongyang"
)


def test_seed_flows_from_a_raw_xadd_to_the_store(
    store_settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    settings = store_settings
    names = StreamNames(settings.stream_prefix)
    env = {**os.environ, **stage_env(settings)}
    with running_stages(settings, tmp_path / "logs"):
        subscriber = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsflow_cli",
                "subscribe",
                "--from-start",
                "--count",
                "1",
                "--timeout",
                "60",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Exactly what `redis-cli XADD newsflow:raw '*' content "$(cat seed)" source UNN` sends.
        client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
        out, errs = subscriber.communicate(timeout=90)
        assert subscriber.returncode == 0, errs.decode()
        event = orjson.loads(out.splitlines()[0])
        assert event["article"]["title"] == HEADLINE
        assert event["source"]["name"] == "UNN"
        assert event["enrichment"]["language"]["code"] == "en"
        story = event["enrichment"]["story"]
        assert story["new"] and story["size"] == 1
        stamps = event["timestamps"]
        assert stamps["received_at"] <= stamps["parsed_at"] <= stamps["enriched_at"]

        wait_until(lambda: stored_count(settings) == 1, 60, "the article to be stored")

        # The same article again: still one row.
        client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
        wait_until(lambda: client.xlen(names.enriched) == 2, 60, "the second copy to flow")
        wait_until(
            lambda: group_done(client, names.enriched, "sink"),
            60,
            "the sink to take the second copy",
        )
        assert stored_count(settings) == 1
        # ... and in one story: the copy finds the story its id joined, not counted twice.
        copy = decode_event_entry(client.xrange(names.enriched)[1][1])
        assert copy.enrichment is not None and copy.enrichment.story is not None
        assert copy.enrichment.story.id == story["id"] and copy.enrichment.story.size == 1

        search = subprocess.run(
            [sys.executable, "-m", "newsflow_cli", "search", "Pyongyang", "--json"],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        hits = [orjson.loads(line) for line in search.stdout.splitlines()]
        assert [hit["title"] for hit in hits] == [HEADLINE]


def test_garbage_goes_to_the_dlq_and_good_articles_still_flow(
    settings: Settings, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        with running_stages(settings, tmp_path / "logs"):
            client.xadd(names.raw, {"source": "no content, no url"})
            client.xadd(names.raw, {"data": "{this is not json"})
            client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
            wait_until(lambda: stored_count(settings) == 1, 60, "the good article to be stored")
            wait_until(lambda: client.xlen(names.dlq) == 2, 60, "two dead letters")
        letters = [orjson.loads(f[b"data"]) for _id, f in client.xrange(names.dlq)]
        assert [(x["stage"], x["reason"]) for x in letters] == [
            ("fetcher", "invalid_submission"),
            ("fetcher", "invalid_json"),
        ]
        assert all(x["message"] for x in letters)
    finally:
        keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
