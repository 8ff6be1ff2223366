"""The enricher as a stage: its analyses run in a child process under a time and memory
budget (stage_work.py), which loads the NER model when the stage starts; the analyses that
need Redis (redis_analyses.py) run here, on the stage's own connection pool."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.enricher.redis_analyses import RedisAnalyses
from services.enricher.stage_work import make_handler, make_worker
from shared import metrics
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.stage_app import StageWork


@asynccontextmanager
async def open_enricher(settings: Settings) -> AsyncIterator[StageWork]:
    # The model is loaded before the first entry rather than while it waits (about a
    # second); the stage serves /health/ready only after, so "models" is true from then on.
    worker = make_worker(settings)
    started = time.perf_counter()
    await worker.start()
    metrics.MODEL_LOAD_SECONDS.labels(settings.ner_model).set(time.perf_counter() - started)
    on_redis = RedisAnalyses(redis_client(settings), settings.stream_prefix)

    async def models_loaded() -> bool:
        return True

    try:
        yield StageWork(make_handler(worker, on_redis), ready_checks={"models": models_loaded})
    finally:
        await worker.stop()
        await on_redis.close()
