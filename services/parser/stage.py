"""The parser as a stage: its work runs in a child process under a time and memory budget
(stage_work.py), started with the stage and stopped with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.parser.stage_work import make_handler, make_worker
from shared.settings import Settings
from shared.stage_app import StageWork


@asynccontextmanager
async def open_parser(settings: Settings) -> AsyncIterator[StageWork]:
    worker = make_worker(settings)
    await worker.start()
    try:
        yield StageWork(make_handler(worker))
    finally:
        await worker.stop()
