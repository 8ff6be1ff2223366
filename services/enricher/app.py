"""Enricher stage: parsed -> enriched (the work in enrich.py, near-duplicates in duplicates.py)."""

from __future__ import annotations

from faststream import AckPolicy, FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.enricher.duplicates import DuplicateIndex, mark_duplicate
from services.enricher.enrich import enrich_event
from services.enricher.entities import load_ner
from shared.broker import make_broker
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.stage import StageRunner, parse_entry, redis_client
from shared.streams import Fields, decode_event_entry

settings = get_settings()
# Its own connection pool (connected on first use), so the index needs no started runner.
duplicates = DuplicateIndex(redis_client(settings), settings.stream_prefix)


async def handle(fields: Fields) -> ArticleEvent:
    event = enrich_event(decode_event_entry(fields), ner_model=settings.ner_model)
    return await mark_duplicate(duplicates, event)


async def load_models() -> None:
    # Before the first entry rather than while it waits (about a second).
    load_ner(settings.ner_model)


runner = StageRunner("enricher", handle, settings)
broker = make_broker(settings, runner.stage)


@broker.subscriber(stream=runner.stream_sub, parser=parse_entry, ack_policy=AckPolicy.MANUAL)
async def enrich(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


app = FastStream(
    broker,
    on_startup=[load_models, runner.start],
    after_shutdown=[runner.stop, duplicates.close],
)
