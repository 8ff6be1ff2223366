"""The sink's work on one event: stamp it stored and upsert it into the article store."""

from __future__ import annotations

from typing import Protocol

from shared import metrics
from shared.events import ArticleEvent, utc_now


class Upserts(Protocol):
    """The article store, or the sink's writer batching into it (batch_writer.py)."""

    async def upsert(self, event: ArticleEvent) -> None: ...


async def save_event(store: Upserts, event: ArticleEvent) -> ArticleEvent:
    stored_at = utc_now()
    stamped = event.stamped("sink", stored_at)
    await store.upsert(stamped)
    metrics.END_TO_END_SECONDS.observe(
        max((stored_at - event.timestamps.received_at).total_seconds(), 0.0)
    )
    return stamped
