"""The enricher as a stage: its NER model loaded and its near-duplicate index opened when
the stage starts, and its handler (the work itself is `enrich_event` in enrich.py and
the analyses that need Redis in redis_analyses.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.enricher.enrich import enrich_event
from services.enricher.entities import load_ner
from services.enricher.redis_analyses import RedisAnalyses
from shared import metrics
from shared.events import ArticleEvent
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.streams import Fields, decode_event_entry


@asynccontextmanager
async def open_enricher(settings: Settings) -> AsyncIterator[StageWork]:
    # The model is loaded before the first entry rather than while it waits (about a
    # second); the stage serves /health/ready only after, so "models" is true from then on.
    started = time.perf_counter()
    load_ner(settings.ner_model)
    metrics.MODEL_LOAD_SECONDS.labels(settings.ner_model).set(time.perf_counter() - started)
    # Its own connection pool, so the analyses do not depend on the runner's.
    on_redis = RedisAnalyses(redis_client(settings), settings.stream_prefix)

    async def handle(fields: Fields) -> ArticleEvent:
        event = enrich_event(decode_event_entry(fields), ner_model=settings.ner_model)
        return await on_redis.run(event)

    async def models_loaded() -> bool:
        return True

    try:
        yield StageWork(handle, ready_checks={"models": models_loaded})
    finally:
        await on_redis.close()
