"""Running one stage in the test process, wired as the stage apps wire it, on real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import orjson
from faststream.redis import RedisBroker
from faststream.redis.annotations import RedisStreamMessage
from redis.asyncio import Redis

from shared.events import Stage
from shared.settings import Settings
from shared.stage import Handler, StageRunner


@asynccontextmanager
async def running(
    settings: Settings, handle: Handler, stage: Stage = "fetcher"
) -> AsyncIterator[StageRunner]:
    """`handle` in `stage`'s slot of the pipeline, wired as the stage apps are."""
    runner = StageRunner(stage, handle, settings)
    broker = RedisBroker(settings.redis_url.get_secret_value())

    @broker.subscriber(**runner.subscription)
    async def fetch(message: RedisStreamMessage) -> None:
        await runner.on_message(message)

    await runner.start()
    async with broker:
        await broker.start()
        yield runner
        await runner.begin_shutdown()
    await runner.stop()


async def wait_for(check: Callable[[], object], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():  # type: ignore[misc]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def entries(redis: Redis, stream: str) -> list[dict[str, object]]:
    return [orjson.loads(f[b"data"]) for _id, f in await redis.xrange(stream)]
