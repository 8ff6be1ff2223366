"""The enricher as a stage: its analyses run in a child process under a time and memory
budget (stage_work.py), which loads the NER model when the stage starts; the analyses that
need Redis (redis_analyses.py) run here, on the stage's own connection pool."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.enricher.redis_analyses import RedisAnalyses
from services.enricher.stage_work import make_handler, make_worker
from shared import metrics
from shared.logs import get_logger
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.stage_app import StageWork

log = get_logger("newsflow.enricher")


@asynccontextmanager
async def open_enricher(settings: Settings) -> AsyncIterator[StageWork]:
    # The model is loaded before the first entry rather than while it waits (about a
    # second); the stage serves /health/ready only after.
    worker = make_worker(settings)
    started = time.perf_counter()
    await worker.start()
    metrics.MODEL_LOAD_SECONDS.labels(settings.ner_model).set(time.perf_counter() - started)
    on_redis = RedisAnalyses(redis_client(settings), settings.stream_prefix)
    # The child loads the model or, without it, enriches without entities (`analyses` says
    # so per article): a misspelt NEWSFLOW_NER_MODEL is said here, as not ready, not only
    # in every article.
    model_installed = _installed(settings.ner_model)
    if not model_installed:
        log.error("ner_model_not_installed", model=settings.ner_model)

    async def models_loaded() -> bool:
        return model_installed

    try:
        yield StageWork(make_handler(worker, on_redis), ready_checks={"models": models_loaded})
    finally:
        await worker.stop()
        await on_redis.close()


def _installed(model: str) -> bool:
    """A model package importable here, or a model folder (spaCy loads either)."""
    if model and Path(model).is_dir():
        return True
    try:
        return importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False
