"""The sink as a stage: the article store, opened when the stage starts and closed when it
stops, and its handler (the work itself is `store_event` in storing.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.sink.store import open_store
from services.sink.storing import store_event
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.streams import Fields, decode_event_entry


@asynccontextmanager
async def open_sink(settings: Settings) -> AsyncIterator[StageWork]:
    store = open_store(settings)
    await store.open()

    async def handle(fields: Fields) -> None:
        await store_event(store, decode_event_entry(fields))

    try:
        yield StageWork(handle, ready_checks={"database": store.ping})
    finally:
        await store.close()
