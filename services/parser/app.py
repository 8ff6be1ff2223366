"""Parser stage: fetched -> parsed."""

from __future__ import annotations

from faststream import FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.parser.stage_work import make_handler, make_worker
from shared.broker import make_broker, stage_specification
from shared.settings import get_settings
from shared.stage import StageRunner

settings = get_settings()
# The parse runs in a child process under a time and memory budget (stage_work.py).
worker = make_worker(settings)
handle = make_handler(worker)


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
    on_startup=[worker.start, runner.start],
    on_shutdown=[runner.begin_shutdown],
    after_shutdown=[runner.stop, worker.stop],
)
