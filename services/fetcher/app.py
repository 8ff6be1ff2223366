"""Fetcher stage: raw -> fetched. Passes content on; downloads a `url`; polls feeds."""

from __future__ import annotations

from faststream import FastStream
from faststream.redis.annotations import RedisStreamMessage

from services.fetcher.download import FetchLimits, make_http_client
from services.fetcher.feed_poller import FeedPoller
from services.fetcher.fetch import fetch_entry
from services.fetcher.polite_client import PoliteClient
from services.fetcher.politeness import HostPoliteness, PolitenessRules
from services.fetcher.seen import SeenSet
from services.fetcher.ssrf import parse_allow_list
from shared.backpressure import RoomGate
from shared.broker import make_broker, stage_specification
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.stage import StageRunner, current_entry_id, redis_client
from shared.streams import Fields, StreamNames

settings = get_settings()
names = StreamNames(settings.stream_prefix)
limits = FetchLimits(
    max_bytes=settings.max_content_bytes,
    timeout_s=settings.fetch_timeout_s,
    connect_timeout_s=settings.fetch_connect_timeout_s,
    read_timeout_s=settings.fetch_read_timeout_s,
    user_agent=settings.user_agent,
)
http = make_http_client(limits, parse_allow_list(settings.fetch_allow_networks))
politeness = HostPoliteness(
    PolitenessRules(
        interval_s=settings.fetch_host_interval_s,
        concurrency=settings.fetch_host_concurrency,
        max_pause_s=settings.fetch_host_max_pause_s,
        max_wait_s=settings.fetch_max_host_wait_s,
    )
)
client = PoliteClient(
    http,
    limits,
    politeness,
    robots_ttl_s=settings.fetch_robots_ttl_s,
    obey_robots=settings.fetch_obey_robots,
)
redis = redis_client(settings)
seen_urls = SeenSet(redis, names, "url", settings.fetch_seen_window_s)
poller = FeedPoller(
    redis,
    names,
    client,
    default_interval_s=settings.feed_poll_interval_s,
    seen_ttl_s=settings.feed_seen_ttl_s,
    room=RoomGate(redis, names.raw, names.group_of("fetcher"), settings.max_backlog),
)


async def handle(fields: Fields) -> ArticleEvent | None:
    return await fetch_entry(
        fields,
        client,
        seen_urls,
        max_bytes=settings.max_content_bytes,
        entry_id=current_entry_id(),
    )


runner = StageRunner("fetcher", handle, settings)
broker = make_broker(settings, runner.stage)


# Several entries at once, so one slow host does not stop the others: each waits only at its
# own host's politeness gate.
@broker.subscriber(
    **runner.subscription,
    max_workers=settings.fetch_max_in_flight,
    description="Raw articles: flat fields (url or content, content_type, source, "
    "trace_id) or field `data`, a RawSubmission.",
)
async def fetch(message: RedisStreamMessage) -> None:
    await runner.on_message(message)


async def start_poller() -> None:
    poller.start()


async def close() -> None:
    await poller.stop()
    await http.aclose()
    await redis.aclose()


app = FastStream(
    broker,
    specification=stage_specification(runner.stage),
    on_startup=[runner.start],
    on_shutdown=[runner.begin_shutdown],
    after_startup=[start_poller],
    after_shutdown=[runner.stop, close],
)
