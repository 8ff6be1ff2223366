"""`/api/stream`: newly enriched articles that match a query, as Server-Sent Events.

Each event is one matching article (`event: article`, `data:` its summary as JSON, `id:` its
entry id on `<prefix>:enriched`). A client that reconnects sends the last id it saw as
`Last-Event-ID` (browsers' EventSource do it by themselves) and gets what came after it,
as long as the stream still holds it (entries are trimmed NEWSFLOW_RETAIN_ACKED_S after
the sink has them). The filters are `shared.article_match.matches`, the in-memory twin of
the store's search, so a live view shows what a search would find.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from redis.asyncio import Redis

from shared.article_match import matches
from shared.events import ArticleEvent
from shared.logs import get_logger
from shared.store.article_query import ArticleQuery, QueryError
from shared.store.article_store import ArticleRow
from shared.store.read_models import ArticleSummary, summary_of
from shared.streams import DATA_FIELD

log = get_logger("newsflow.api")

_ENTRY_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")
_MAX_ID_PART = 2**64 - 1
HEARTBEAT_S = 15.0
_BLOCK_MS = 1000
_BATCH = 100


def checked_entry_id(last_event_id: str | None) -> str | None:
    """The `Last-Event-ID` as a stream entry id (`<ms>-<seq>`), None when absent."""
    if last_event_id is None or not last_event_id.strip():
        return None
    entry_id = last_event_id.strip()
    # Redis holds each part in 64 bits and refuses a larger one, which it would do only
    # once the stream's 200 has started.
    if not _ENTRY_ID.match(entry_id) or any(
        int(part) > _MAX_ID_PART for part in entry_id.split("-")
    ):
        raise QueryError("Last-Event-ID is not a stream entry id (<milliseconds>-<sequence>)")
    return entry_id


def live_summary(event: ArticleEvent) -> ArticleSummary:
    """The summary `/api/articles` would give the article once stored (snippet: its start)."""
    row = ArticleRow.of(event)
    return summary_of(
        (row.id, row.url, row.title, row.source, row.language),
        event.model_dump(mode="json", exclude_none=True),
        None,
    )


def sse_frame(entry_id: str, summary: ArticleSummary) -> bytes:
    data = orjson.dumps(summary.model_dump(mode="json"))
    return b"id: " + entry_id.encode() + b"\nevent: article\ndata: " + data + b"\n\n"


async def newest_entry_id(redis: Redis, stream: str) -> str:
    """Where "from now on" starts: the stream's last entry, so no entry falls between two
    reads (XREAD's `$` would be re-read as "now" on every call)."""
    newest: Any = await redis.xrevrange(stream, count=1)
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def live_frames(
    redis: Redis,
    stream: str,
    query: ArticleQuery,
    after: str | None,
    *,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[bytes]:
    """SSE frames until the client goes away: matching articles, and a comment line at
    least every `heartbeat_s` so proxies keep the connection and a gone client is noticed."""
    last_id = after or await newest_entry_id(redis, stream)
    # Tells EventSource how long to wait before reconnecting.
    yield b"retry: 2000\n\n"
    last_sent = time.monotonic()
    while True:
        reply: Any = await redis.xread({stream: last_id}, block=_BLOCK_MS, count=_BATCH)
        for _stream, entries in reply or ():
            for raw_id, fields in entries:
                last_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
                event = _event_of(fields, last_id)
                if event is not None and matches(query, event):
                    yield sse_frame(last_id, live_summary(event))
                    last_sent = time.monotonic()
        if time.monotonic() - last_sent >= heartbeat_s:
            yield b": keepalive\n\n"
            last_sent = time.monotonic()


def _event_of(fields: dict[bytes, bytes], entry_id: str) -> ArticleEvent | None:
    data = fields.get(DATA_FIELD.encode())
    if data is None:
        return None
    try:
        return ArticleEvent.from_json(data)
    except ValueError:
        # The sink dead-letters it; a live view just does not show it.
        log.warning("live_entry_unreadable", entry_id=entry_id)
        return None
