"""`newsflow trace` on the streams: an entry the next stage has done, has in hand, or has
not read yet are three different answers."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.article_trace import trace_article
from shared.events import RawSubmission
from shared.settings import Settings
from shared.streams import StreamNames, encode_json
from shared.submission_ids import article_id_of

pytestmark = pytest.mark.integration


async def on_parsed(redis: Redis, names: StreamNames) -> str:
    """An article on the enricher's input stream; its id."""
    submission = RawSubmission(content="Seoul condemns Pyongyang's launch.", source="UNN")
    event = event_from_content(submission, max_bytes=1 << 20)
    await redis.xadd(names.parsed, encode_json(event.to_json()))
    return event.id


async def where(redis: Redis, names: StreamNames, article_id: str) -> tuple[str | None, ...]:
    trace = await trace_article(redis, names, article_id, stored=None)
    [seen] = trace.sightings
    return seen.pending_in, seen.waiting_for


async def test_an_entry_the_next_stage_has_not_read_is_waiting_not_done(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    article_id = await on_parsed(redis, names)
    # No enricher has run yet: no group (once a NOGROUP error that ended the command).
    assert await where(redis, names, article_id) == (None, "enricher")

    await redis.xgroup_create(names.parsed, "enricher", id="0")
    # The group exists but has not read it (the enricher's backlog): once shown as done.
    assert await where(redis, names, article_id) == (None, "enricher")

    [[_stream, [(entry_id, _fields)]]] = await redis.xreadgroup(
        "enricher", "e-1", {names.parsed: ">"}, count=1
    )
    assert await where(redis, names, article_id) == ("enricher", None)

    await redis.xack(names.parsed, "enricher", entry_id)
    assert await where(redis, names, article_id) == (None, None)


async def test_a_submission_the_fetcher_has_not_taken_is_found_on_the_raw_stream(
    settings: Settings, redis: Redis
) -> None:
    """By the id the api answers: once "no trace of article" until the fetcher ran."""
    names = StreamNames(settings.stream_prefix)
    by_url = RawSubmission(url="https://news.example.com/2026/12/launch.html")
    by_text = RawSubmission(content="Seoul condemns Pyongyang's launch.")
    for submission in (by_url, by_text):
        await redis.xadd(names.raw, {"data": submission.to_json()})
    await redis.xadd(names.raw, {"content": ""})  # refused by the fetcher: no id, skipped
    for submission in (by_url, by_text):
        trace = await trace_article(redis, names, article_id_of(submission), stored=None)
        assert [(s.stream, s.pending_in, s.waiting_for) for s in trace.sightings] == [
            (names.raw, None, "fetcher")
        ]


async def test_a_stream_is_read_a_page_at_a_time(
    settings: Settings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 entries in one reply: half a gigabyte of the command's memory for 2,000 web
    pages (measured), gigabytes for a busy hour's stream."""
    names = StreamNames(settings.stream_prefix)
    oldest = await on_parsed(redis, names)
    async with redis.pipeline(transaction=False) as pipe:
        for n in range(1000):
            pipe.xadd(names.parsed, {"data": orjson.dumps({"id": f"other-{n}"})})
        await pipe.execute()
    counts: list[int] = []
    xrevrange = redis.xrevrange

    async def counted(*args: Any, **kwargs: Any) -> Any:
        counts.append(kwargs["count"])
        return await xrevrange(*args, **kwargs)

    monkeypatch.setattr(redis, "xrevrange", counted)
    trace = await trace_article(redis, names, oldest, stored=None)
    assert [seen.stream for seen in trace.sightings] == [names.parsed]
    assert max(counts) <= 500, counts
