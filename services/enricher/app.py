"""Enricher stage: parsed -> enriched (the work in enrich.py, near-duplicates in duplicates.py)."""

from __future__ import annotations

import time

from faststream import FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.enricher.duplicates import DuplicateIndex
from services.enricher.stage_work import make_handler, make_worker
from shared import metrics
from shared.broker import make_broker, stage_specification
from shared.settings import get_settings
from shared.stage import StageRunner, redis_client

settings = get_settings()
# Its own connection pool (connected on first use), so the index needs no started runner.
duplicates = DuplicateIndex(redis_client(settings), settings.stream_prefix)
models_loaded = False
# The analyses run in a child process under a time and memory budget (stage_work.py).
worker = make_worker(settings)
handle = make_handler(worker, duplicates)


async def load_models() -> None:
    # Before the first entry rather than while it waits (about a second): the work's
    # child process starts and loads the model.
    global models_loaded
    started = time.perf_counter()
    await worker.start()
    metrics.MODEL_LOAD_SECONDS.labels(settings.ner_model).set(time.perf_counter() - started)
    models_loaded = True


async def models_ready() -> bool:
    return models_loaded


runner = StageRunner("enricher", handle, settings, ready_checks={"models": models_ready})
broker = make_broker(settings, runner.stage)


@broker.subscriber(
    **runner.subscription,
    description="Parsed articles: field `data`, an ArticleEvent with `article`.",
)
async def enrich(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


app = FastStream(
    broker,
    specification=stage_specification(runner.stage),
    on_startup=[load_models, runner.start],
    on_shutdown=[runner.begin_shutdown],
    after_shutdown=[runner.stop, worker.stop, duplicates.close],
)
