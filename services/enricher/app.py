"""Enricher stage: parsed -> enriched (the work in enrich.py, near-duplicates in duplicates.py)."""

from __future__ import annotations

import time

from faststream import FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.enricher.enrich import enrich_event
from services.enricher.entities import load_ner
from services.enricher.redis_analyses import RedisAnalyses
from shared import metrics
from shared.broker import make_broker, stage_specification
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.stage import StageRunner, redis_client
from shared.streams import Fields, decode_event_entry

settings = get_settings()
# Its own connection pool (connected on first use), so the analyses need no started runner.
on_redis = RedisAnalyses(redis_client(settings), settings.stream_prefix)
models_loaded = False


async def handle(fields: Fields) -> ArticleEvent:
    event = enrich_event(decode_event_entry(fields), ner_model=settings.ner_model)
    return await on_redis.run(event)


async def load_models() -> None:
    # Before the first entry rather than while it waits (about a second).
    global models_loaded
    started = time.perf_counter()
    load_ner(settings.ner_model)
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
    after_shutdown=[runner.stop, on_redis.close],
)
