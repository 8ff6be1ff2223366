"""The sink's work on one event: stamp it stored and upsert it into the article store."""

from __future__ import annotations

from shared import metrics
from shared.events import ArticleEvent, utc_now
from shared.store.article_store import ArticleStore


async def save_event(store: ArticleStore, event: ArticleEvent) -> ArticleEvent:
    stored_at = utc_now()
    stamped = event.stamped("sink", stored_at)
    await store.upsert(stamped)
    metrics.END_TO_END_SECONDS.observe(
        max((stored_at - event.timestamps.received_at).total_seconds(), 0.0)
    )
    return stamped
