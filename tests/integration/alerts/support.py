"""The alerts stage run in the test process on real Redis and a real store, and helpers to
publish enriched events to it and read what it recorded."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from services.alerts.stage import open_alerts
from shared.alerts.catalog import add_alert
from shared.alerts.definition import AlertDefinition
from shared.alerts.wire import AlertKeys, AlertMatch
from shared.events import ArticleEvent, StoryLink
from shared.pipeline import stage_named
from shared.settings import Settings
from shared.ssrf import parse_allow_list
from shared.stage import StageRunner
from shared.stage_app import StageApp
from shared.store.backends import opened_store
from shared.streams import StreamNames, encode_json

ALERTS = stage_named("alerts")
SECRET = "a-secret-of-the-test"


@asynccontextmanager
async def running_alerts(settings: Settings) -> AsyncIterator[StageRunner]:
    stage_app = StageApp(ALERTS, settings, open_alerts)
    await stage_app.app.start()
    try:
        yield stage_app.runner
    finally:
        await stage_app.app.stop()


async def add_alerts(settings: Settings, redis: Redis, alerts: Iterable[AlertDefinition]) -> None:
    keys = AlertKeys(settings.stream_prefix)
    async with opened_store(settings) as store:
        for alert in alerts:
            await add_alert(store, redis, keys, alert, webhook_allow=parse_allow_list("127.0.0.1"))


async def publish(redis: Redis, settings: Settings, events: Iterable[ArticleEvent]) -> int:
    enriched = StreamNames(settings.stream_prefix).enriched
    count = 0
    for event in events:
        await redis.xadd(enriched, encode_json(event.to_json()))
        count += 1
    return count


async def settled(redis: Redis, settings: Settings, within: float = 30.0) -> None:
    """Every entry of the enriched stream read and acknowledged by the alerts group."""
    enriched = StreamNames(settings.stream_prefix).enriched
    deadline = asyncio.get_running_loop().time() + within
    while True:
        groups: Any = await redis.xinfo_groups(enriched)
        group = next((g for g in groups if g["name"] in (b"alerts", "alerts")), None)
        if group is not None and group["lag"] == 0 and group["pending"] == 0:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the alerts group did not settle: {group}")
        await asyncio.sleep(0.05)


async def matches_on(redis: Redis, stream: str) -> list[AlertMatch]:
    return [AlertMatch.from_entry(fields) for _id, fields in await redis.xrange(stream)]


def alert(name: str, webhook: bool = False, **query: object) -> AlertDefinition:
    return AlertDefinition.checked(
        name=name,
        query=query,
        webhook=(
            {"url": "http://127.0.0.1:9/hook", "secret": "a-secret-of-the-test"}
            if webhook
            else None
        ),
    )


ENRICHED_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures/alerts/enriched.jsonl.gz"


def enriched_events() -> list[ArticleEvent]:
    """71 real articles, parsed and enriched once by the stages' own functions
    (tests/fixtures/alerts/make_enriched.py)."""
    with gzip.open(ENRICHED_FIXTURE) as lines:
        return [ArticleEvent.from_json(line) for line in lines]


def in_story(event: ArticleEvent, story: str, article_id: str | None = None) -> ArticleEvent:
    """The event as the enricher gives it when the article joins `story` (under another
    id, when given)."""
    assert event.enrichment is not None
    link = StoryLink(id=story, size=1, new=False)
    return event.model_copy(
        update={
            "id": article_id or event.id,
            "enrichment": event.enrichment.model_copy(update={"story": link}),
        }
    )
