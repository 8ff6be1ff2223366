"""Fetcher stage: raw -> fetched. Passes content on; downloads a `url`."""

from __future__ import annotations

from faststream import AckPolicy, FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.fetcher.download import FetchLimits, make_http_client
from services.fetcher.fetch import fetch_entry
from shared.broker import make_broker
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.stage import StageRunner, parse_entry
from shared.streams import Fields

settings = get_settings()
limits = FetchLimits(
    max_bytes=settings.max_content_bytes,
    timeout_s=settings.fetch_timeout_s,
    connect_timeout_s=settings.fetch_connect_timeout_s,
    user_agent=settings.user_agent,
)
http = make_http_client(limits)


async def handle(fields: Fields) -> ArticleEvent:
    return await fetch_entry(fields, http, limits)


runner = StageRunner("fetcher", handle, settings)
broker = make_broker(settings)


@broker.subscriber(stream=runner.stream_sub, parser=parse_entry, ack_policy=AckPolicy.MANUAL)
async def fetch(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


async def close_http() -> None:
    await http.aclose()


app = FastStream(broker, on_startup=[runner.start], after_shutdown=[runner.stop, close_http])
