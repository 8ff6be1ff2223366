"""The enricher stage's work, run in a child process under a time and memory budget.

The analyses (spaCy's NER above all) hold the GIL for as long as a text takes, where no
asyncio timeout reaches: they run in `shared.isolated_work`'s child, which loads the model
once and is killed past `enricher_timeout_s`, the entry dead-lettered as `timeout`. The
analyses that need Redis (near-duplicates) stay in the stage (`stage.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.enricher.redis_analyses import RedisAnalyses
from shared.events import ArticleEvent
from shared.isolated_work import IsolatedWorker, Work, WorkSpec
from shared.settings import Settings
from shared.streams import DATA_FIELD, Fields, data_field

Handler = Callable[[Fields], Awaitable[ArticleEvent]]


def enrich_work(*, ner_model: str) -> Work:
    """Runs in the child, once: loads the model; then entry JSON -> enriched event JSON."""
    # Imported here, so the stage process itself never loads spaCy.
    from services.enricher.enrich import enrich_event
    from services.enricher.entities import load_ner
    from shared.streams import decode_event_entry

    load_ner(ner_model)

    def work(entry: bytes) -> bytes:
        event = decode_event_entry({DATA_FIELD: entry})
        return enrich_event(event, ner_model=ner_model).to_json()

    return work


def make_worker(settings: Settings) -> IsolatedWorker:
    spec = WorkSpec(factory=f"{__name__}:enrich_work", options={"ner_model": settings.ner_model})
    return IsolatedWorker(
        spec,
        name="enricher",
        timeout_s=settings.enricher_timeout_s,
        memory_mb=settings.enricher_memory_mb,
    )


def make_handler(worker: IsolatedWorker, on_redis: RedisAnalyses) -> Handler:
    async def handle(fields: Fields) -> ArticleEvent:
        entry = data_field(fields)
        raw = entry.encode() if isinstance(entry, str) else entry
        event = ArticleEvent.from_json(await worker.run(raw))
        return await on_redis.run(event)

    return handle
