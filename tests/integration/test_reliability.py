"""Outages, backpressure, trimming and shutdown, on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from faststream.redis import RedisBroker
from faststream.redis.message import DefaultStreamMessage
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.backpressure import RoomGate, stream_backlog
from shared.errors import Unavailable
from shared.events import ArticleEvent
from shared.pipeline import stage_named
from shared.redis_connection import ensure_group
from shared.settings import Settings
from shared.stage import StageRunner
from shared.stream_upkeep import forget_idle_consumers
from shared.streams import Fields, StreamNames, decode_raw_entry
from tests.integration.harness import running, wait_for

pytestmark = pytest.mark.integration


async def intake(fields: Fields) -> ArticleEvent:
    return event_from_content(decode_raw_entry(fields), max_bytes=1 << 20)


async def test_a_dependency_outage_never_dead_letters(settings: Settings, redis: Redis) -> None:
    settings = settings.model_copy(update={"max_deliveries": 2, "outage_pause_max_s": 0.2})
    names = StreamNames(settings.stream_prefix)
    outage_left = 6

    async def store_that_is_down_for_a_while(fields: Fields) -> ArticleEvent:
        nonlocal outage_left
        if outage_left > 0:
            outage_left -= 1
            raise Unavailable("PostgreSQL: connection refused")
        return await intake(fields)

    async with running(settings, store_that_is_down_for_a_while):
        await redis.xadd(names.raw, {"content": "kept through the outage"})
        await wait_for(lambda: _has(redis, names.fetched, 1), within=20)
        pending = await redis.xpending(names.raw, "fetcher")
    assert outage_left == 0
    assert await redis.xlen(names.dlq) == 0
    assert pending["pending"] == 0


async def test_trimming_never_drops_what_a_group_has_not_acknowledged(
    settings: Settings, redis: Redis
) -> None:
    settings = settings.model_copy(update={"retain_acked_s": 0})
    names = StreamNames(settings.stream_prefix)
    await ensure_group(redis, names.raw, "fetcher")
    ids = [await redis.xadd(names.raw, {"content": f"n{n}"}) for n in range(10)]
    # The stage took six entries and acknowledged four; entries 4 and 5 are still pending.
    await redis.xreadgroup("fetcher", "worker", {names.raw: ">"}, count=6)
    await redis.xack(names.raw, "fetcher", *ids[:4])
    # A user's subscriber group on the same stream has read only the first two.
    await redis.xgroup_create(names.raw, "reader", id="0")
    await redis.xreadgroup("reader", "me", {names.raw: ">"}, count=2)
    await redis.xack(names.raw, "reader", *ids[:2])

    runner = StageRunner(stage_named("fetcher"), intake, settings)
    runner._redis = redis
    await runner.trim_inbox()
    left = [entry_id for entry_id, _ in await redis.xrange(names.raw)]
    # The reader's last delivered entry (ids[1]) bounds the trim; nothing after it goes.
    assert left == ids[1:]

    await redis.xreadgroup("reader", "me", {names.raw: ">"})
    await redis.xack(names.raw, "reader", *ids[2:])
    await runner.trim_inbox()
    left = [entry_id for entry_id, _ in await redis.xrange(names.raw)]
    assert left == ids[4:]  # the fetcher's oldest pending entry is kept


async def test_producers_wait_while_the_backlog_is_over_the_limit(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    await ensure_group(redis, names.fetched, "parser")
    for n in range(5):
        await redis.xadd(names.fetched, {"data": f"{n}"})
    assert await stream_backlog(redis, names.fetched, "parser") == 5
    gate = RoomGate(redis, names.fetched, "parser", limit=3, poll_s=0.05)

    async def consume_later() -> None:
        await asyncio.sleep(0.5)
        await _read_and_ack(redis, names.fetched, "parser", count=3)

    consumer = asyncio.create_task(consume_later())
    waited = await asyncio.wait_for(gate.wait(), timeout=5)
    await consumer
    assert waited >= 0.4
    assert await stream_backlog(redis, names.fetched, "parser") == 2


async def test_a_running_side_reader_holds_the_producer_back_and_a_stopped_one_does_not(
    settings: Settings, redis: Redis
) -> None:
    """The alerts stage reads the enriched stream beside the sink. While it runs, its
    backlog holds the enricher back as the sink's does; once its consumers stop reading,
    it no longer does (storage goes on; the stream keeps what alerts has not read)."""
    names = StreamNames(settings.stream_prefix)
    for group in ("sink", "alerts"):
        await ensure_group(redis, names.enriched, group)
    for n in range(5):
        await redis.xadd(names.enriched, {"data": f"{n}"})
    await _read_and_ack(redis, names.enriched, "sink", count=5)
    await _read_and_ack(redis, names.enriched, "alerts", count=1)  # alerts: 4 behind

    def gate() -> RoomGate:
        return RoomGate(
            redis, names.enriched, "sink", limit=3, poll_s=0.05,
            side_groups=["alerts"], live_within_s=1.0,
        )  # fmt: skip

    waiting = asyncio.create_task(gate().wait())
    await asyncio.sleep(0.3)
    assert not waiting.done(), "the sink is idle but alerts, running, is 4 behind"
    await _read_and_ack(redis, names.enriched, "alerts", count=2)
    await asyncio.wait_for(waiting, timeout=5)

    # Alerts stops reading: after a second without a read it holds nothing back.
    for n in range(5):
        await redis.xadd(names.enriched, {"data": f"more {n}"})
    await _read_and_ack(redis, names.enriched, "sink", count=5)
    assert await stream_backlog(redis, names.enriched, "alerts") == 7
    await asyncio.sleep(1.2)
    assert await asyncio.wait_for(gate().wait(), timeout=1) < 0.5  # no wait: room at once


async def _read_and_ack(redis: Redis, stream: str, group: str, count: int | None = None) -> None:
    """Read `count` new entries (all, without one) as `group` and acknowledge them."""
    reply = await redis.xreadgroup(group, f"{group}-1", {stream: ">"}, count=count)
    await redis.xack(stream, group, *[entry_id for entry_id, _ in reply[0][1]])


async def test_the_enricher_waits_on_the_sink_and_on_the_alerts_stage_while_it_runs(
    settings: Settings,
) -> None:
    runner = StageRunner(stage_named("enricher"), intake, settings)
    await runner.start()
    try:
        gate = runner.delivery.gate
        assert gate is not None
        assert (gate.stream, gate.group, gate.side_groups) == (
            StreamNames(settings.stream_prefix).enriched,
            "sink",
            ("alerts",),
        )
    finally:
        await runner.stop()


async def test_a_stage_waits_for_room_downstream_before_forwarding(
    settings: Settings, redis: Redis
) -> None:
    settings = settings.model_copy(update={"max_backlog": 2})
    names = StreamNames(settings.stream_prefix)
    async with running(settings, intake):
        for n in range(6):
            await redis.xadd(names.raw, {"content": f"article {n}"})
        await wait_for(lambda: _has(redis, names.fetched, 2))
        await asyncio.sleep(1.0)
        # Nobody reads `fetched`: the fetcher stopped at the limit instead of filling it.
        assert await redis.xlen(names.fetched) == 2
        await ensure_group(redis, names.fetched, "parser")
        await _read_and_ack(redis, names.fetched, "parser")
        await wait_for(lambda: _has(redis, names.fetched, 4))


async def _stopped_with_an_entry_in_hand(
    settings: Settings, redis: Redis, handle_for_s: float, grace_s: float
) -> tuple[StageRunner, bytes]:
    """The fetcher under FastStream's own subscriber, stopped as SIGTERM stops it in
    `faststream run` while an entry that takes `handle_for_s` is in hand."""
    names = StreamNames(settings.stream_prefix)
    started = asyncio.Event()

    async def slow(fields: Fields) -> ArticleEvent:
        started.set()
        await asyncio.sleep(handle_for_s)
        return await intake(fields)

    runner = StageRunner(stage_named("fetcher"), slow, settings)
    broker = RedisBroker(
        settings.redis_url.get_secret_value(), graceful_timeout=grace_s, apply_types=False
    )

    @broker.subscriber(**runner.subscription)
    async def fetch(raw: DefaultStreamMessage) -> None:
        await runner.on_entry(raw)

    await runner.start()
    await broker.start()
    entry_id: bytes = await redis.xadd(names.raw, {"content": "in hand at shutdown"})
    await asyncio.wait_for(started.wait(), timeout=10)
    await broker.stop()
    await runner.stop()
    return runner, entry_id


async def test_shutdown_finishes_the_entry_in_hand(settings: Settings, redis: Redis) -> None:
    names = StreamNames(settings.stream_prefix)
    await _stopped_with_an_entry_in_hand(settings, redis, handle_for_s=1.0, grace_s=5)
    assert await redis.xlen(names.fetched) == 1
    assert (await redis.xpending(names.raw, "fetcher"))["pending"] == 0
    # Nothing left pending: the consumer leaves the group (no stale row in `status`).
    assert await redis.xinfo_consumers(names.raw, "fetcher") == []


async def test_an_entry_cut_off_by_a_stop_past_its_grace_is_not_marked_as_a_crash(
    settings: Settings, redis: Redis
) -> None:
    """Past the grace FastStream cancels the entry in hand: it stays pending for the next
    consumer, and is not counted toward `poison` as a crash would be."""
    names = StreamNames(settings.stream_prefix)
    runner, entry_id = await _stopped_with_an_entry_in_hand(
        settings, redis, handle_for_s=3600, grace_s=0.5
    )
    assert (await redis.xpending(names.raw, "fetcher"))["pending"] == 1
    marks = await redis.hget(names.stream("handling:fetcher"), entry_id)
    assert marks in (None, b"0")
    # It holds an entry: the consumer stays, for another to take the entry over.
    consumers: Any = await redis.xinfo_consumers(names.raw, "fetcher")
    assert [c["name"].decode() for c in consumers] == [runner.consumer]


async def _has(redis: Redis, stream: str, n: int) -> bool:
    return bool(await redis.xlen(stream) >= n)


async def test_a_live_consumer_keeps_its_slow_entry(settings: Settings, redis: Redis) -> None:
    """Entries a live consumer holds (in hand or queued) keep their lease: another consumer
    takes over only from a consumer that stopped refreshing, so nothing runs twice."""
    settings = settings.model_copy(update={"claim_idle_ms": 500, "claim_interval_s": 0.1})
    names = StreamNames(settings.stream_prefix)
    calls: list[str] = []

    def worker(name: str, delay: float) -> Callable[[Fields], Awaitable[ArticleEvent]]:
        async def handle(fields: Fields) -> ArticleEvent:
            calls.append(name)
            await asyncio.sleep(delay)
            return await intake(fields)

        return handle

    slow = settings.model_copy(update={"consumer_name": "slow"})
    quick = settings.model_copy(update={"consumer_name": "quick"})
    async with running(slow, worker("slow", 2.0)):
        await redis.xadd(names.raw, {"content": "takes a while"})
        await wait_for(lambda: _has_calls(calls, 1))
        async with running(quick, worker("quick", 0.0)):
            await wait_for(lambda: _has(redis, names.fetched, 1), within=10)
            await asyncio.sleep(0.5)
    assert calls == ["slow"]
    assert await redis.xlen(names.fetched) == 1


async def _has_calls(calls: list[str], n: int) -> bool:
    return len(calls) >= n


async def test_an_entry_read_but_lost_on_the_way_is_retried(
    settings: Settings, redis: Redis
) -> None:
    """XREADGROUP put the entry in our pending list but its reply never reached us (the
    connection broke): the lease keeping must not hold it forever."""
    settings = settings.model_copy(
        update={"claim_idle_ms": 300, "claim_interval_s": 0.1, "consumer_name": "me"}
    )
    names = StreamNames(settings.stream_prefix)
    async with running(settings, intake):
        await redis.xadd(names.raw, {"content": "first"})
        await wait_for(lambda: _has(redis, names.fetched, 1))
        # Delivered to our consumer name, but not through the subscriber: in one MULTI, so
        # the subscriber's blocked read cannot get it first.
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xadd(names.raw, {"content": "lost in transit"})
            pipe.xreadgroup("fetcher", "me", {names.raw: ">"}, count=1)
            _, delivered = await pipe.execute()
        assert delivered, "the entry should have been delivered inside the transaction"
        await wait_for(lambda: _has(redis, names.fetched, 2), within=10)
        pending = await redis.xpending(names.raw, "fetcher")
    assert pending["pending"] == 0


async def test_consumers_gone_idle_with_nothing_pending_are_forgotten(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    await redis.xgroup_create(names.raw, "fetcher", id="0", mkstream=True)
    await redis.xadd(names.raw, {"content": "held"})
    await redis.xreadgroup("fetcher", "holds-an-entry", {names.raw: ">"})
    for name in ("gone", "me"):
        await redis.xgroup_createconsumer(names.raw, "fetcher", name)
    await asyncio.sleep(0.2)
    forgotten = await forget_idle_consumers(redis, names.raw, "fetcher", keep="me", idle_ms=100)
    consumers: Any = await redis.xinfo_consumers(names.raw, "fetcher")
    assert forgotten == 1
    assert sorted(c["name"].decode() for c in consumers) == ["holds-an-entry", "me"]
