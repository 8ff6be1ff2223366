"""Group commit: the articles the sink holds at once are stored in one transaction.

The sink handles up to `sink_batch` entries at once, each through the delivery of every
stage (`shared/delivery.py`), so each entry is acknowledged on its own, and only after the
commit that stored it. Each handler hands its article to the writer and waits; the writer
stores whatever was handed to it since its last transaction in the next one. It never
waits for a batch to fill: on a quiet stream a lone article is stored as soon as it comes.
An article the store refuses fails its own entry only (a savepoint each, `upsert_many`);
when the store cannot be written at all, every entry of that transaction stays pending.
A crash before the commit stores nothing and acknowledges nothing: the entries are
delivered again.
"""

from __future__ import annotations

import asyncio

from shared.events import ArticleEvent
from shared.store.article_store import ArticleStore


class BatchWriter:
    """`upsert(event)` as the store's, but sharing one transaction with the upserts that
    other handlers of the sink start meanwhile."""

    def __init__(self, store: ArticleStore, max_batch: int) -> None:
        self.store = store
        self.max_batch = max_batch
        self._waiting: list[tuple[ArticleEvent, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def upsert(self, event: ArticleEvent) -> None:
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, stored))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_waiting(), name="sink-batch")
        await stored

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                # The handlers already running hand their articles over first.
                await asyncio.sleep(0)
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                try:
                    outcomes = await self.store.upsert_many([event for event, _ in batch])
                except Exception as exc:
                    for _, stored in batch:
                        _settle(stored, exc)
                    continue
                for (_, stored), outcome in zip(batch, outcomes, strict=True):
                    _settle(stored, outcome)
        finally:
            self._writing = None


def _settle(stored: asyncio.Future[None], outcome: Exception | None) -> None:
    if stored.done():  # its handler was cancelled (shutdown): the entry stays pending
        return
    if outcome is None:
        stored.set_result(None)
    else:
        stored.set_exception(outcome)
