"""Delivery mechanics of every stage, on a real Redis through FastStream's subscriber."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.errors import Deferred, Rejected, Unavailable
from shared.events import ArticleEvent, RawSubmission
from shared.settings import Settings
from shared.streams import Fields, StreamNames, decode_raw_entry
from tests.integration.harness import entries, running, wait_for

pytestmark = pytest.mark.integration


def quick_retries(redis_url: str, stream_prefix: str, **more: float) -> Settings:
    """For the tests that count deliveries: three failures allowed, each retried within
    milliseconds."""
    return Settings.model_validate(
        {
            "REDIS_URL": redis_url,
            "stream_prefix": stream_prefix,
            "max_deliveries": 3,
            "retry_backoff_ms": 20,
            "claim_interval_s": 0.1,
            "block_ms": 100,
            **more,
        }
    )


async def intake(fields: Fields) -> ArticleEvent:
    return event_from_content(decode_raw_entry(fields), max_bytes=1 << 20)


async def test_backlog_published_before_the_stage_first_ran_is_consumed(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    for n in range(3):
        await redis.xadd(names.raw, {"content": f"article number {n}"})
    async with running(settings, intake):
        await wait_for(lambda: _length_is(redis, names.fetched, 3))
        pending = await redis.xpending(names.raw, "fetcher")
    assert pending["pending"] == 0
    texts = [e["raw"]["content"] for e in await entries(redis, names.fetched)]  # type: ignore[index]
    assert texts == [f"article number {n}" for n in range(3)]


async def test_rejected_input_goes_to_the_dlq_and_the_next_entry_flows(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    async with running(settings, intake):
        await redis.xadd(names.raw, {"nothing": "useful"})
        await redis.xadd(names.raw, {"data": "{broken"})
        await redis.xadd(names.raw, {"content": b"\xff\xfe binary"})
        # Read like a stage's own event up to its ids, which are not UTF-8.
        await redis.xadd(
            names.raw, {"data": b'{"id":"\xff\xfe","schema_version":1,"trace_id":"\xfe"}'}
        )
        await redis.xadd(names.raw, {"content": "a good article"})
        await wait_for(lambda: _length_is(redis, names.fetched, 1))
        await wait_for(lambda: _length_is(redis, names.dlq, 4))
        pending = await redis.xpending(names.raw, "fetcher")
    letters = await entries(redis, names.dlq)
    assert [letter["reason"] for letter in letters] == [
        "invalid_submission",
        "invalid_json",
        "invalid_encoding",
        "invalid_json",
    ]
    assert letters[3]["article_id"] == "\\xff\\xfe"
    assert letters[0]["payload"] == {"nothing": "useful"}
    assert letters[0]["stage"] == "fetcher" and letters[0]["source_stream"] == names.raw
    assert pending["pending"] == 0


async def test_a_transient_failure_is_retried_with_backoff(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    calls = 0

    async def flaky(fields: Fields) -> ArticleEvent:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("database is restarting")
        return await intake(fields)

    async with running(settings, flaky):
        await redis.xadd(names.raw, {"content": "retry me"})
        await wait_for(lambda: _length_is(redis, names.fetched, 1))
    assert calls == 3
    assert await redis.xlen(names.dlq) == 0
    assert await redis.hlen(names.stream("failures:fetcher")) == 0


async def test_an_entry_failing_every_time_is_dead_lettered_after_max_deliveries(
    redis_url: str, stream_prefix: str, redis: Redis
) -> None:
    settings = quick_retries(redis_url, stream_prefix)
    names = StreamNames(stream_prefix)

    async def broken(fields: Fields) -> ArticleEvent:
        raise RuntimeError("bug in the stage")

    async with running(settings, broken):
        await redis.xadd(names.raw, {"content": "poison"})
        await redis.xadd(names.raw, {"content": "also poison"})
        await wait_for(lambda: _length_is(redis, names.dlq, 2))
        pending = await redis.xpending(names.raw, "fetcher")
    letter = (await entries(redis, names.dlq))[0]
    assert letter["reason"] == "retries_exhausted"
    assert letter["error_type"] == "RuntimeError"
    assert letter["delivery_count"] == 3
    assert letter["first_failed_at"] < letter["last_failed_at"]  # type: ignore[operator]
    assert letter["payload"] == {"content": "poison"}
    assert pending["pending"] == 0


@pytest.mark.parametrize(
    ("errors", "more", "within"),
    [
        # Each retry of an outage is a delivery to Redis; only failures count toward
        # `max_deliveries`, so an error after a long outage is retried, not dead-lettered.
        (
            [Unavailable("the database is down")] * 5 + [RuntimeError("a hiccup as it comes back")],
            {"outage_pause_max_s": 0.1},
            15,
        ),
        # A host asking us to wait (`Deferred`) sends the entry back for later, however
        # often, without using up the failures `max_deliveries` allows.
        ([Deferred("the host's next turn is 40 s away")] * 8, {"claim_idle_ms": 200}, 20),
    ],
    ids=["outage", "deferred"],
)
async def test_outages_and_deferrals_do_not_use_up_the_failures_allowed(
    redis_url: str,
    stream_prefix: str,
    redis: Redis,
    errors: list[Exception],
    more: dict[str, float],
    within: float,
) -> None:
    settings = quick_retries(redis_url, stream_prefix, **more)
    names = StreamNames(stream_prefix)
    calls = 0

    async def failing_then_fine(fields: Fields) -> ArticleEvent:
        nonlocal calls
        calls += 1
        if calls <= len(errors):
            raise errors[calls - 1]
        return await intake(fields)

    async with running(settings, failing_then_fine):
        await redis.xadd(names.raw, {"content": "handled once it can be"})
        await wait_for(lambda: _length_is(redis, names.fetched, 1), within=within)
    assert calls == len(errors) + 1
    assert await redis.xlen(names.dlq) == 0
    assert await redis.hlen(names.stream("failures:fetcher")) == 0
    assert await redis.hlen(names.stream("failure_counts:fetcher")) == 0


async def test_entries_left_pending_by_a_dead_consumer_are_reclaimed(
    settings: Settings, redis: Redis
) -> None:
    names = StreamNames(settings.stream_prefix)
    await redis.xgroup_create(names.raw, "fetcher", id="0", mkstream=True)
    await redis.xadd(names.raw, {"content": "held by a consumer that died"})
    # A consumer reads the entry and dies before acknowledging it.
    await redis.xreadgroup("fetcher", "dead-consumer", {names.raw: ">"})
    async with running(settings, intake) as runner:
        await wait_for(lambda: _length_is(redis, names.fetched, 1), within=15)
        pending = await redis.xpending(names.raw, "fetcher")
        assert runner.consumer != "dead-consumer"
    assert pending["pending"] == 0


async def test_forward_and_ack_happen_together(settings: Settings, redis: Redis) -> None:
    names = StreamNames(settings.stream_prefix)
    async with running(settings, intake):
        await redis.xadd(names.raw, {"data": RawSubmission(content="x").model_dump_json()})
        await wait_for(lambda: _length_is(redis, names.fetched, 1))
        info = await redis.xpending(names.raw, "fetcher")
    assert info["pending"] == 0


async def _length_is(redis: Redis, stream: str, n: int) -> bool:
    return bool(await redis.xlen(stream) >= n)


def test_rejected_is_not_retried() -> None:
    # The verdict on the input is final: the runner treats `Rejected` apart from all others.
    assert not issubclass(Rejected, (ConnectionError, TimeoutError))
