"""Running one stage in the test process, wired as the stage apps wire it, on real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import orjson
from redis.asyncio import Redis

from shared.delivery import Handler
from shared.pipeline import PipelineStage, stage_named
from shared.settings import Settings
from shared.stage import StageRunner
from shared.stage_app import StageApp, plain_work


@asynccontextmanager
async def running(
    settings: Settings, handle: Handler, stage: str | PipelineStage = "fetcher"
) -> AsyncIterator[StageRunner]:
    """`handle` in `stage`'s slot of the pipeline (a name, or a row of a stage of the
    test's own), built by the factory every stage app is built by, in this process."""
    row = stage_named(stage) if isinstance(stage, str) else stage
    stage_app = StageApp(row, settings, plain_work(handle))
    await stage_app.app.start()
    try:
        yield stage_app.runner
    finally:
        await stage_app.app.stop()


async def wait_for(check: Callable[[], object], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():  # type: ignore[misc]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def entries(redis: Redis, stream: str) -> list[dict[str, object]]:
    return [orjson.loads(f[b"data"]) for _id, f in await redis.xrange(stream)]
