"""Must-show 2: the same article published twice with small edits is marked `duplicate_of`
the first, across enricher instances and processes that share Redis (and a restart).

Run with a Redis: REDIS_URL=redis://localhost:6379/0 pytest tests/integration/test_duplicates.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis

from services.enricher.duplicates import MAX_CANDIDATES, DuplicateIndex
from services.enricher.enrich import enrich_event
from services.enricher.redis_analyses import RedisAnalyses
from services.parser.plaintext import parse_plain_text
from shared.events import ArticleEvent, Raw, Source
from shared.settings import Settings
from shared.streams import StreamNames, encode_json
from tests.servers import stop_process

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_64a0eaf4a3ce9dd3.txt"


def _seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def _edited(text: str) -> str:
    # What a republisher does: a changed dateline, a word here and there, a trailing line.
    return (
        text.replace("strongly condemned", "condemned")
        .replace("A few days ago", "Earlier this week")
        .replace("3054 views", "3112 views")
        + "\n\nRead more on our website."
    )


def _event(article_id: str, content: str) -> ArticleEvent:
    return ArticleEvent(
        id=article_id,
        trace_id=f"trace-{article_id}",
        source=Source(),
        raw=Raw(),
        article=parse_plain_text(content),
    )


@pytest.fixture
async def two_clients(settings: Settings) -> AsyncIterator[tuple[Redis, Redis]]:
    url = settings.redis_url.get_secret_value()
    first, second = Redis.from_url(url), Redis.from_url(url)
    yield first, second
    keys = [k async for k in first.scan_iter(f"{settings.stream_prefix}:*")]
    if keys:
        await first.delete(*keys)
    await first.aclose()
    await second.aclose()


async def test_edited_copy_is_a_duplicate_of_the_first_across_instances(
    settings: Settings, two_clients: tuple[Redis, Redis]
) -> None:
    first_redis, second_redis = two_clients
    # What each enricher replica runs on an event: the registry's analyses that need Redis.
    replica_a = RedisAnalyses(first_redis, settings.stream_prefix)
    replica_b = RedisAnalyses(second_redis, settings.stream_prefix)

    original = await replica_a.run(enrich_event(_event("a-original", _seed_text())))
    copy = await replica_b.run(enrich_event(_event("b-copy", _edited(_seed_text()))))

    assert original.enrichment is not None and original.enrichment.duplicate_of is None
    assert copy.enrichment is not None
    assert copy.enrichment.duplicate_of == "a-original"
    assert copy.enrichment.similarity is not None and copy.enrichment.similarity >= 0.8
    duplicates_runs = [a for a in copy.enrichment.analyses if a.name == "duplicates"]
    assert len(duplicates_runs) == 1 and duplicates_runs[0].ran
    assert duplicates_runs[0].detail == "MinHash LSH in Redis"
    names = [a.name for a in copy.enrichment.analyses]
    assert names[-2:] == ["duplicates", "stories"]  # in registry order
    # The copy joins its original's story.
    assert original.enrichment.story is not None and copy.enrichment.story is not None
    assert copy.enrichment.story.id == original.enrichment.story.id


async def test_copy_of_a_copy_points_at_the_first(
    settings: Settings, two_clients: tuple[Redis, Redis]
) -> None:
    first_redis, second_redis = two_clients
    replica_a = DuplicateIndex(first_redis, settings.stream_prefix)
    replica_b = DuplicateIndex(second_redis, settings.stream_prefix)
    text = _seed_text()
    await replica_a.check_and_add("first", text)
    await replica_b.check_and_add("second", _edited(text))
    third = await replica_a.check_and_add("third", _edited(text).replace("UNN", "UNIAN"))
    assert third is not None and third.original_id == "first"


async def test_a_text_copied_hundreds_of_times_reads_a_bounded_sample(
    settings: Settings, two_clients: tuple[Redis, Redis]
) -> None:
    """Syndication: every copy shares every band. Each new copy compares itself with at
    most MAX_CANDIDATES of them, and still points at the first article."""
    first_redis, _ = two_clients
    index = DuplicateIndex(first_redis, settings.stream_prefix)
    compared: list[int] = []
    best_match = index._best_match

    async def counting(values: object, candidates: list[str]) -> object:
        compared.append(len(candidates))
        return await best_match(values, candidates)  # type: ignore[arg-type]

    index._best_match = counting  # type: ignore[method-assign,assignment]
    text = _seed_text()
    for n in range(MAX_CANDIDATES * 2):
        await index.check_and_add(f"copy-{n}", text)
    last = await index.check_and_add("last", _edited(text))
    assert last is not None and last.original_id == "copy-0"
    assert compared[-1] == MAX_CANDIDATES
    assert max(compared) == MAX_CANDIDATES


async def test_unrelated_article_and_redelivery_are_not_duplicates(
    settings: Settings, two_clients: tuple[Redis, Redis]
) -> None:
    first_redis, _ = two_clients
    index = DuplicateIndex(first_redis, settings.stream_prefix)
    text = _seed_text()
    assert await index.check_and_add("seed", text) is None
    # A redelivered entry (same id) is not a copy of itself.
    assert await index.check_and_add("seed", text) is None
    other = (
        "The striker scored in the 89th minute to give his team a 2-1 victory at a packed "
        "stadium. The coach praised his players after a difficult season in the league."
    )
    assert await index.check_and_add("football", other) is None


async def test_simultaneous_copies_on_two_replicas_mark_exactly_one(
    settings: Settings, two_clients: tuple[Redis, Redis]
) -> None:
    first_redis, second_redis = two_clients
    text = _seed_text()
    results = await asyncio.gather(
        DuplicateIndex(first_redis, settings.stream_prefix).check_and_add("x", text),
        DuplicateIndex(second_redis, settings.stream_prefix).check_and_add("y", _edited(text)),
    )
    marked = [r for r in results if r is not None]
    assert len(marked) == 1
    assert marked[0].original_id in {"x", "y"}


async def test_state_lives_under_the_stream_prefix(
    settings: Settings, two_clients: tuple[Redis, Redis]
) -> None:
    first_redis, _ = two_clients
    await DuplicateIndex(first_redis, settings.stream_prefix).check_and_add("k", _seed_text())
    keys = [k async for k in first_redis.scan_iter(f"{settings.stream_prefix}:dedup:*")]
    assert len(keys) >= 3  # bands, signatures


# --- the same, with real `faststream run` enricher processes ---------------------------


def _stage_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
        "NEWSFLOW_CONSUMER_NAME": f"enricher-{time.monotonic_ns()}",
        "NEWSFLOW_BLOCK_MS": "100",
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def start_enricher(
    settings: Settings, tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"enricher-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "faststream", "run", "services.enricher.app:app"],
            cwd=REPO,
            env=_stage_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process, within_s=20)
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = list(client.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)


def _wait_for_enriched(client: redis.Redis, names: StreamNames, count: int) -> list[ArticleEvent]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        entries = client.xrange(names.enriched) or []
        if len(entries) >= count:
            return [ArticleEvent.from_json(fields[b"data"]) for _, fields in entries if fields]
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} enriched events after 90 s")


@pytest.mark.e2e
def test_two_enricher_processes_share_the_index(
    settings: Settings, start_enricher: Callable[[], subprocess.Popen[bytes]]
) -> None:
    names = StreamNames(settings.stream_prefix)
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    start = start_enricher

    first_process = start()
    client.xadd(names.parsed, encode_json(_event("p-original", _seed_text()).to_json()))
    _wait_for_enriched(client, names, 1)
    first_process.send_signal(signal.SIGTERM)
    first_process.wait(timeout=30)

    # A second process, started after the first has gone: only Redis connects them.
    start()
    client.xadd(names.parsed, encode_json(_event("p-copy", _edited(_seed_text())).to_json()))
    events = {e.id: e for e in _wait_for_enriched(client, names, 2)}

    original, copy = events["p-original"].enrichment, events["p-copy"].enrichment
    assert original is not None and original.duplicate_of is None
    assert copy is not None and copy.duplicate_of == "p-original"
    assert copy.similarity is not None and copy.similarity >= 0.8
