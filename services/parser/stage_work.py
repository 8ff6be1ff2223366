"""The parser stage's work, run in a child process under a time and memory budget.

A hostile page can keep lxml busy in C for minutes, where no asyncio timeout reaches: the
parse runs in `shared.isolated_work`'s child, which is killed past `parser_timeout_s` and
the entry dead-lettered as `timeout`. The child is sent the entry's JSON and answers with
the parsed event's JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared.events import ArticleEvent
from shared.isolated_work import IsolatedWorker, Work, WorkSpec
from shared.settings import Settings
from shared.streams import DATA_FIELD, Fields, data_field

Handler = Callable[[Fields], Awaitable[ArticleEvent]]


def parse_work(*, max_bytes: int, keep_raw: bool) -> Work:
    """Runs in the child: entry JSON -> parsed event JSON."""
    # Imported here, so the stage process itself never loads trafilatura and lxml.
    from services.parser.parse import parse_event
    from shared.streams import decode_event_entry

    def work(entry: bytes) -> bytes:
        event = decode_event_entry({DATA_FIELD: entry})
        return parse_event(event, max_bytes=max_bytes, keep_raw=keep_raw).to_json()

    return work


def make_worker(settings: Settings) -> IsolatedWorker:
    spec = WorkSpec(
        factory=f"{__name__}:parse_work",
        options={"max_bytes": settings.max_content_bytes, "keep_raw": settings.keep_raw},
    )
    return IsolatedWorker(
        spec,
        name="parser",
        timeout_s=settings.parser_timeout_s,
        memory_mb=settings.parser_memory_mb,
        # A spare child (~100 MB) takes over at once when one is killed, so the entry
        # behind a hostile page waits for no interpreter start.
        spare=True,
    )


def make_handler(worker: IsolatedWorker) -> Handler:
    async def handle(fields: Fields) -> ArticleEvent:
        entry = data_field(fields)
        raw = entry.encode() if isinstance(entry, str) else entry
        return ArticleEvent.from_json(await worker.run(raw))

    return handle
