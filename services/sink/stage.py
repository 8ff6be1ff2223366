"""The sink as a stage: the article store, opened when the stage starts and closed when it
stops, and its handler (the work itself is `save_event` in save.py), storing the articles it
holds at once in one transaction (batch_writer.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.sink.batch_writer import BatchWriter
from services.sink.save import save_event
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.store.backends import opened_store
from shared.streams import Fields, decode_event_entry


@asynccontextmanager
async def open_sink(settings: Settings) -> AsyncIterator[StageWork]:
    async with opened_store(settings) as store:
        writer = BatchWriter(store, settings.sink_batch)

        async def handle(fields: Fields) -> None:
            await save_event(writer, decode_event_entry(fields))

        yield StageWork(handle, ready_checks={"database": store.ping})
