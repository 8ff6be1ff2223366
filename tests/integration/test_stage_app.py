"""Stages built by the one factory (shared/stage_app.py): a stage of the test's own from one
row and a handler, and a stage killed by an entry, each on a real Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.events import ArticleEvent, RawSubmission
from shared.pipeline import PipelineStage
from shared.settings import Settings
from shared.stage_app import build_stage_app, plain_work
from shared.streams import Fields, StreamNames, decode_event_entry, encode_json
from tests.conftest import REPO
from tests.integration.crashing_stage import KILLER
from tests.integration.harness import entries, wait_for

pytestmark = pytest.mark.integration

# A stage that is not in the pipeline's table: one row, one handler.
EXTRA = PipelineStage(
    name="extra",
    input="parsed",
    output="extra",
    group="extra",
    purpose="Tags parsed articles, to show a stage is one row and one handler.",
    reads="Parsed articles: field `data`, an ArticleEvent.",
    app="tests.integration.test_stage_app:app",
    metrics_port=0,
)


async def test_a_stage_from_one_row_and_a_handler_runs_between_two_real_streams(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    handled: list[str] = []

    async def tag(fields: Fields) -> ArticleEvent:
        event = decode_event_entry(fields)
        handled.append(event.id)
        return event.model_copy(update={"extra_tag": "seen by extra"})

    app = build_stage_app(EXTRA, settings, plain_work(tag))
    event = event_from_content(RawSubmission(content="an article", source="t"), max_bytes=99)
    await redis.xadd(names.parsed, encode_json(event.to_json()))
    await app.start()
    try:
        await wait_for(lambda: _length_is(redis, names.stream("extra"), 1))
        pending = await redis.xpending(names.parsed, "extra")
    finally:
        await app.stop()
    (forwarded,) = await entries(redis, names.stream("extra"))
    assert forwarded["id"] == event.id and forwarded["extra_tag"] == "seen by extra"
    assert handled == [event.id]
    assert pending["pending"] == 0
    assert await redis.xlen(names.dlq) == 0


async def _length_is(redis: Redis, stream: str, n: int) -> bool:
    return bool(await redis.xlen(stream) >= n)


def _worker(settings: Settings, consumer: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
        "NEWSFLOW_CONSUMER_NAME": consumer,
        "NEWSFLOW_MAX_DELIVERIES": "2",
        "NEWSFLOW_CLAIM_IDLE_MS": "300",
        "NEWSFLOW_CLAIM_INTERVAL_S": "0.1",
        "NEWSFLOW_RETRY_BACKOFF_MS": "50",
        "NEWSFLOW_BLOCK_MS": "100",
        "NEWSFLOW_HTTP_PORT": "0",
        "NEWSFLOW_SHUTDOWN_GRACE_S": "5",
    }
    command = [sys.executable, "-m", "faststream", "run", "tests.integration.crashing_stage:app"]
    return subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def test_an_entry_that_kills_every_worker_is_dead_lettered_before_it_kills_another(
    settings: Settings, redis: Redis
) -> None:
    """With max_deliveries 2: two workers die on the entry in turn; the third takes it over
    from the dead one and dead-letters it as `poison` without handling it (it would die
    too), then carries on with the next entry."""
    names = StreamNames(settings.stream_prefix)
    await redis.xadd(names.raw, {"content": KILLER, "source": "t"})
    for n in (1, 2):
        worker = _worker(settings, f"worker-{n}")
        code = await asyncio.to_thread(worker.wait, 60)
        assert code == -signal.SIGKILL, f"worker-{n} should have been killed by the entry"
    survivor = _worker(settings, "worker-3")
    try:
        await wait_for(lambda: _length_is(redis, names.dlq, 1), within=60)
        await redis.xadd(names.raw, {"content": "a good article", "source": "t"})
        await wait_for(lambda: _length_is(redis, names.fetched, 1), within=30)
        assert survivor.poll() is None, "the third worker died on the entry too"
        pending = await redis.xpending(names.raw, "fetcher")
    finally:
        survivor.send_signal(signal.SIGTERM)
        await asyncio.to_thread(survivor.wait, 30)
    (letter,) = await entries(redis, names.dlq)
    assert letter["reason"] == "poison"
    assert letter["error_type"] == "KilledWhileHandling"
    assert letter["delivery_count"] == 3
    assert letter["payload"] == {"content": KILLER, "source": "t"}
    assert pending["pending"] == 0
    (good,) = await entries(redis, names.fetched)
    assert good["raw"]["content"] == "a good article"  # type: ignore[index]
