"""Parser stage: fetched -> parsed."""

from __future__ import annotations

from faststream import FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.parser.parse import parse_event
from shared.broker import make_broker, stage_specification
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.stage import StageRunner
from shared.streams import Fields, decode_event_entry

settings = get_settings()


async def handle(fields: Fields) -> ArticleEvent:
    return parse_event(
        decode_event_entry(fields), max_bytes=settings.max_content_bytes, keep_raw=settings.keep_raw
    )


runner = StageRunner("parser", handle, settings)
broker = make_broker(settings, runner.stage)


@broker.subscriber(
    **runner.subscription,
    description="Fetched articles: field `data`, an ArticleEvent with `source` and `raw`.",
)
async def parse(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


app = FastStream(
    broker,
    specification=stage_specification(runner.stage),
    on_startup=[runner.start],
    on_shutdown=[runner.begin_shutdown],
    after_shutdown=[runner.stop],
)
