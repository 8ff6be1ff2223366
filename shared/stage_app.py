"""One factory for every stage's FastStream app: a stage is its row of the pipeline
(`shared/pipeline.py`) and its work, opened when the app starts.

    app = build_stage_app(stage_named("parser"), get_settings(), open_parser)

`open_work(settings)` is an async context manager that builds what the work needs (HTTP
clients, a database, models), yields a `StageWork` and closes them on the way out; nothing is
built when the app module is imported, so `faststream docs gen` and the tests import it for
free. The app is what `faststream run services.<stage>.app:app` runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from faststream import FastStream

from shared.broker import make_broker, stage_specification
from shared.delivery import Handler
from shared.health import ReadinessCheck
from shared.pipeline import PipelineStage
from shared.settings import Settings
from shared.stage import StageRunner, stage_subscription


@dataclass(frozen=True)
class StageWork:
    """What a stage does with an entry, and what else must hold for it to be ready (the
    runner always checks Redis and its group)."""

    handle: Handler
    ready_checks: Mapping[str, ReadinessCheck] = field(default_factory=dict)


OpenWork = Callable[[Settings], AbstractAsyncContextManager[StageWork]]


def plain_work(handle: Handler) -> OpenWork:
    """The work of a stage that needs nothing opened or closed."""

    @asynccontextmanager
    async def open_work(_settings: Settings) -> AsyncIterator[StageWork]:
        yield StageWork(handle)

    return open_work


class StageApp:
    """A stage's broker, its subscriber and its lifecycle: on startup the work is opened and
    the runner started (group created, leases kept, /health served); on shutdown the entry
    in hand finishes, then the runner stops and the work is closed."""

    def __init__(
        self,
        stage: PipelineStage,
        settings: Settings,
        open_work: OpenWork,
        *,
        max_workers: int | None = None,
    ) -> None:
        self.stage = stage
        self.settings = settings
        self._open_work = open_work
        self._resources = AsyncExitStack()
        self._runner: StageRunner | None = None
        self.broker = make_broker(settings, stage)
        # max_workers > 1: several entries at once (the fetcher, so one slow host does not
        # hold up the others).
        self.broker.subscriber(
            **stage_subscription(stage, settings),
            max_workers=max_workers,
            description=stage.reads,
        )(self._consume)
        self.app = FastStream(
            self.broker,
            specification=stage_specification(stage),
            on_startup=[self._start],
            on_shutdown=[self._begin_shutdown],
            after_shutdown=[self._stop],
        )

    @property
    def runner(self) -> StageRunner:
        if self._runner is None:
            raise RuntimeError("the stage app has not started")
        return self._runner

    async def _consume(self, raw: Any) -> None:
        # `Any`: the AsyncAPI document describes the input by the stage's event, not by this.
        await self.runner.on_entry(raw)

    async def _start(self) -> None:
        work = await self._resources.enter_async_context(self._open_work(self.settings))
        self._runner = StageRunner(
            self.stage, work.handle, self.settings, ready_checks=work.ready_checks
        )
        await self._runner.start()

    async def _begin_shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.begin_shutdown()

    async def _stop(self) -> None:
        try:
            if self._runner is not None:
                await self._runner.stop()
        finally:
            await self._resources.aclose()


def build_stage_app(
    stage: PipelineStage,
    settings: Settings,
    open_work: OpenWork,
    *,
    max_workers: int | None = None,
) -> FastStream:
    return StageApp(stage, settings, open_work, max_workers=max_workers).app
