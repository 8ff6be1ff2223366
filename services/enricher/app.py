"""Enricher stage: parsed -> enriched."""

from __future__ import annotations

from faststream import AckPolicy, FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.enricher.enrich import enrich_event
from shared.broker import make_broker
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.stage import StageRunner, parse_entry
from shared.streams import Fields, decode_event_entry

settings = get_settings()


async def handle(fields: Fields) -> ArticleEvent:
    return enrich_event(decode_event_entry(fields))


runner = StageRunner("enricher", handle, settings)
broker = make_broker(settings)


@broker.subscriber(stream=runner.stream_sub, parser=parse_entry, ack_policy=AckPolicy.MANUAL)
async def enrich(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


app = FastStream(broker, on_startup=[runner.start], after_shutdown=[runner.stop])
