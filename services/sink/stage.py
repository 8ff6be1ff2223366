"""The sink as a stage: the article store, opened when the stage starts and closed when it
stops, and its handler (the work itself is `save_event` in save.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.sink.save import save_event
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.store.backends import opened_store
from shared.streams import Fields, decode_event_entry


@asynccontextmanager
async def open_sink(settings: Settings) -> AsyncIterator[StageWork]:
    async with opened_store(settings) as store:

        async def handle(fields: Fields) -> None:
            await save_event(store, decode_event_entry(fields))

        yield StageWork(handle, ready_checks={"database": store.ping})
