"""The parser as a stage: its handler (the work itself is `parse_event` in parse.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.parser.parse import parse_event
from shared.events import ArticleEvent
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.streams import Fields, decode_event_entry


@asynccontextmanager
async def open_parser(settings: Settings) -> AsyncIterator[StageWork]:
    async def handle(fields: Fields) -> ArticleEvent:
        return parse_event(
            decode_event_entry(fields),
            max_bytes=settings.max_content_bytes,
            keep_raw=settings.keep_raw,
        )

    yield StageWork(handle)
