"""The leases of a stage's pending entries, on a real Redis through FastStream's subscriber:
entries waiting their turn are not taken for lost, and the leases of entries in hand are
kept while the leases' own work (a retry) takes long."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.delivery import Delivery
from shared.events import ArticleEvent
from shared.leases import Leases
from shared.pipeline import stage_named
from shared.redis_connection import ensure_group
from shared.settings import Settings
from shared.streams import Fields, StreamNames, decode_raw_entry
from tests.integration.harness import entries, running, wait_for

pytestmark = pytest.mark.integration


def _content(fields: Fields) -> str:
    return decode_raw_entry(fields).content or ""


async def _intake(fields: Fields) -> ArticleEvent:
    return event_from_content(decode_raw_entry(fields), max_bytes=1 << 20)


async def test_entries_queued_behind_a_wait_for_room_are_handled_once(
    settings: Settings, redis: Redis
) -> None:
    """The stage waits for room downstream far longer than twice `claim_idle_ms`, with
    entries of its read batch queued behind the one in hand: they are waiting, not lost,
    and the leases must not handle them beside the subscriber."""
    settings = settings.model_copy(
        update={"claim_idle_ms": 300, "claim_interval_s": 0.1, "max_backlog": 1}
    )
    names = StreamNames(settings.stream_prefix)
    await ensure_group(redis, names.fetched, "parser")
    await redis.xadd(names.fetched, {"data": b"{}"})  # downstream is full
    calls: Counter[str] = Counter()

    async def counted(fields: Fields) -> ArticleEvent:
        calls[_content(fields)] += 1
        return await _intake(fields)

    async with running(settings, counted):
        for n in range(4):
            await redis.xadd(names.raw, {"content": f"article {n}"})
        await asyncio.sleep(2.5)  # over 8 x claim_idle_ms without room
        assert sum(calls.values()) == 0

        async def parser_catches_up() -> bool:
            """Room again: each forwarded entry is read and acknowledged downstream."""
            found: Any = await redis.xreadgroup("parser", "p", {names.fetched: ">"})
            for _stream, batch in found:
                await redis.xack(names.fetched, "parser", *[entry_id for entry_id, _ in batch])
            return len(await entries(redis, names.fetched)) >= 5

        await wait_for(parser_catches_up, within=15)
        await asyncio.sleep(1.0)  # time for a second handling, if there were one
        pending: Any = await redis.xpending(names.raw, "fetcher")
    assert calls == Counter({f"article {n}": 1 for n in range(4)})
    assert len(await entries(redis, names.fetched)) == 5
    assert pending["pending"] == 0


async def test_the_leases_of_entries_in_hand_are_kept_while_a_retry_takes_long(
    settings: Settings, redis: Redis
) -> None:
    """A retry the leases run takes longer than `claim_idle_ms`; meanwhile the entry the
    subscriber holds must keep a fresh idle time, or another replica takes it over and
    handles it a second time."""
    settings = settings.model_copy(
        update={"claim_idle_ms": 1000, "claim_interval_s": 0.1, "retry_backoff_ms": 50}
    )
    names = StreamNames(settings.stream_prefix)
    release = asyncio.Event()
    calls: Counter[str] = Counter()

    async def slow(fields: Fields) -> ArticleEvent:
        content = _content(fields)
        calls[content] += 1
        if content == "fails once" and calls[content] == 1:
            raise RuntimeError("a hiccup")
        await release.wait()
        return await _intake(fields)

    async with running(settings, slow, "parser") as runner:
        retried = await redis.xadd(names.fetched, {"content": "fails once"})
        await wait_for(lambda: _async(calls["fails once"] == 2))  # the leases retry it
        held = await redis.xadd(names.fetched, {"content": "held by the subscriber"})
        await wait_for(lambda: _async(calls["held by the subscriber"] == 1))
        for _ in range(25):  # 2.5 s: well past claim_idle_ms
            await asyncio.sleep(0.1)
            pending: Any = await redis.xpending_range(
                names.fetched, "parser", min="-", max="+", count=10
            )
            idle = {item["message_id"]: item["time_since_delivered"] for item in pending}
            assert idle[held] < settings.claim_idle_ms, "the held entry's lease lapsed"
            assert idle[retried] < settings.claim_idle_ms, "the retried entry's lease lapsed"
            assert {item["consumer"].decode() for item in pending} == {runner.consumer}
        release.set()

        async def both_forwarded() -> bool:
            return len(await entries(redis, names.parsed)) == 2

        await wait_for(both_forwarded)
    assert calls == Counter({"fails once": 2, "held by the subscriber": 1})


async def _async(value: bool) -> bool:
    return value


async def test_an_entry_to_retry_that_another_consumer_took_over_is_forgotten(
    settings: Settings, redis: Redis
) -> None:
    """Our failed entry, taken over by another replica while ours looked gone, is theirs:
    the leases stop remembering it, or every such entry stays in memory for good."""
    names = StreamNames(settings.stream_prefix)
    await ensure_group(redis, names.raw, "fetcher")
    taken_id = await redis.xadd(names.raw, {"content": "taken over"})
    kept_id = await redis.xadd(names.raw, {"content": "still ours"})
    await redis.xreadgroup("fetcher", "ours", {names.raw: ">"})
    stopping = asyncio.Event()
    delivery = Delivery(
        stage_named("fetcher"), _intake, settings, redis, gate=None, stopping=stopping
    )
    delivery.to_retry.update({taken_id, kept_id})
    await redis.xclaim(names.raw, "fetcher", "theirs", min_idle_time=0, message_ids=[taken_id])

    await Leases(delivery, "ours", settings, stopping).refresh()

    assert delivery.to_retry == {kept_id}
