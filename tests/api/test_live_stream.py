"""/api/stream: Server-Sent Events of newly enriched articles matching the filters, read
from a real Redis stream, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from redis.asyncio import Redis

from services.api.live_articles import checked_entry_id
from shared.events import ArticleEvent
from shared.settings import Settings
from shared.streams import StreamNames, encode_json
from tests.api.articles import enriched
from tests.api.stories import in_story

pytestmark = pytest.mark.integration


def article(article_id: str, country: str) -> ArticleEvent:
    return enriched(
        article_id,
        title=f"News from {country}",
        text="Officials said something today.",
        published_at=datetime(2024, 3, 1, tzinfo=UTC),
        countries=(country,),
    )


async def publish_enriched(redis: Redis, settings: Settings, event: ArticleEvent) -> str:
    entry_id = await redis.xadd(
        StreamNames(settings.stream_prefix).enriched, encode_json(event.to_json())
    )
    return entry_id.decode()


async def article_frames(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, dict[str, object]]]:
    """(id, data) of each `article` event; comments and `retry:` skipped."""
    fields: dict[str, str] = {}
    async for line in lines:
        if line == "":
            if fields.get("event") == "article":
                yield fields["id"], orjson.loads(fields["data"])
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def test_matching_articles_arrive_as_they_are_enriched(
    api: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    async with api.stream("GET", "/api/stream", params={"country": "KP"}, timeout=10) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.aiter_lines()
        assert await anext(lines) == "retry: 2000"  # connected: what comes next is new
        await publish_enriched(redis, settings, article("ua-1", "UA"))
        kp_entry = await publish_enriched(redis, settings, article("kp-1", "KP"))
        entry_id, data = await asyncio.wait_for(anext(article_frames(lines)), timeout=5)
    assert entry_id == kp_entry
    assert data["id"] == "kp-1" and data["countries"] == ["KP"]
    assert data["title"] == "News from KP"


async def test_last_event_id_resumes_after_that_entry(
    api: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    first = await publish_enriched(redis, settings, article("kp-1", "KP"))
    await publish_enriched(redis, settings, article("ua-1", "UA"))
    third = await publish_enriched(redis, settings, article("kp-2", "KP"))
    async with api.stream(
        "GET",
        "/api/stream",
        params={"country": "KP"},
        headers={"Last-Event-ID": first},
        timeout=10,
    ) as answer:
        entry_id, data = await asyncio.wait_for(
            anext(article_frames(answer.aiter_lines())), timeout=5
        )
    assert (entry_id, data["id"]) == (third, "kp-2")


@pytest.mark.parametrize(
    "last_event_id",
    [
        "1; DROP TABLE",
        # Parts past 64 bits: Redis refuses them, once the stream's 200 has started.
        "99999999999999999999-0",
        "18446744073709551616-0",
        "1-99999999999999999999",
    ],
)
async def test_a_last_event_id_that_is_no_entry_id_is_a_400(
    api: httpx.AsyncClient, last_event_id: str
) -> None:
    answer = await api.get("/api/stream", headers={"Last-Event-ID": last_event_id}, timeout=10)
    assert answer.status_code == 400
    assert "Last-Event-ID" in answer.json()["error"]


def test_the_largest_entry_id_is_one() -> None:
    largest = f"{2**64 - 1}-{2**64 - 1}"
    assert checked_entry_id(largest) == largest


async def test_the_story_filter_and_the_story_on_live_articles(
    api: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    async with api.stream("GET", "/api/stream", params={"story": "s-old"}, timeout=10) as answer:
        lines = answer.aiter_lines()
        assert await anext(lines) == "retry: 2000"
        await publish_enriched(redis, settings, in_story(article("kp-1", "KP"), "s-other"))
        await publish_enriched(redis, settings, in_story(article("kp-2", "KP"), "s-new", "s-old"))
        _, data = await asyncio.wait_for(anext(article_frames(lines)), timeout=5)
    # The article that merged s-old into s-new matches s-old, and says its story as told.
    assert (data["id"], data["story_id"], data["story_size"]) == ("kp-2", "s-new", 1)
