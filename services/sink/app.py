"""Sink stage: enriched -> the article store (PostgreSQL, or SQLite by default)."""

from __future__ import annotations

from faststream import FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.sink.backends import open_store
from services.sink.save import save_event
from shared.broker import make_broker, stage_specification
from shared.settings import get_settings
from shared.stage import StageRunner
from shared.streams import Fields, decode_event_entry

settings = get_settings()
store = open_store(settings)


async def handle(fields: Fields) -> None:
    await save_event(store, decode_event_entry(fields))


runner = StageRunner("sink", handle, settings, ready_checks={"database": store.ping})
broker = make_broker(settings, runner.stage)


@broker.subscriber(
    **runner.subscription,
    description="Enriched articles: field `data`, an ArticleEvent with `enrichment`.",
)
async def store_article(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


app = FastStream(
    broker,
    specification=stage_specification(runner.stage),
    on_startup=[store.open, runner.start],
    on_shutdown=[runner.begin_shutdown],
    after_shutdown=[runner.stop, store.close],
)
