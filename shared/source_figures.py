"""Per-source figures for `newsflow sources show`, `newsflow status` and `/api/sources`.

Each figure is read where it already lives, so nothing new is written on the article's
path through the stages:
- seen: URLs the source published, counted by the publish-once script as it publishes;
- stored: the store's rows whose `source` is the source's name (the index `/api/top/sources`
  already uses; an article's `source.name` is its source's name). Articles published under
  that name by other means are counted too: the name is the source's identity;
- dead-lettered by reason: the dead letters still kept (NEWSFLOW_DLQ_MAX_LENGTH,
  NEWSFLOW_DLQ_RETAIN_S) whose payload carries the source's name, one pass over the
  dead-letter stream for all sources.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from shared.dead_letters import list_letters
from shared.events import DeadLetter
from shared.sources import SourceRecord, SourceRegistry
from shared.store.article_query import MAX_FILTER_VALUES, ArticleQuery
from shared.store.article_store import ArticleStore
from shared.store.read_sql import MAX_TOP
from shared.streams import DATA_FIELD, StreamNames

# A payload cut to fit the dead-letter cap is not JSON any more, but an event's `source`
# comes before its `raw`, so its name is still in what was kept.
_NAME_IN_CUT_EVENT = re.compile(r'"source":\{[^{}]*?"name":"((?:[^"\\]|\\.)*)"')
_NAME_IN_CUT_SUBMISSION = re.compile(r'"source":"((?:[^"\\]|\\.)*)"')


class SourceFigures(BaseModel):
    name: str
    url: str
    feeds: int
    sitemaps: int
    seen: int = Field(description="Article URLs published (each once).")
    stored: int | None = Field(description="Articles stored under its name; null: no store.")
    dead_lettered: dict[str, int] = Field(description="Dead letters kept, by reason.")
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


def source_name_of(letter: DeadLetter) -> str | None:
    """The source name a dead letter's payload carries: a raw submission's `source`, or an
    event's `source.name`."""
    text = letter.payload.get(DATA_FIELD)
    if not text:
        return None
    try:
        document: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        found = _NAME_IN_CUT_EVENT.search(text) or _NAME_IN_CUT_SUBMISSION.search(text)
        return orjson.loads(f'"{found.group(1)}"') if found else None
    if not isinstance(document, dict):
        return None
    source = document.get("source")
    if isinstance(source, dict):
        source = source.get("name")
    return source if isinstance(source, str) else None


async def dead_letters_by_source(redis: Redis, names: StreamNames) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for entry in await list_letters(redis, names):
        name = source_name_of(entry.letter)
        if name is None:
            continue
        reasons = counts.setdefault(name, {})
        reasons[entry.letter.reason] = reasons.get(entry.letter.reason, 0) + 1
    return counts


async def stored_by_source(store: ArticleStore, source_names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    step = min(MAX_FILTER_VALUES, MAX_TOP)
    for start in range(0, len(source_names), step):
        chunk = tuple(source_names[start : start + step])
        for row in await store.top(ArticleQuery(sources=chunk), "sources", limit=len(chunk)):
            counts[row.value] = row.count
    return counts


async def source_figures(
    redis: Redis,
    names: StreamNames,
    store: ArticleStore | None,
    only: list[SourceRecord] | None = None,
) -> list[SourceFigures]:
    """Figures of every source (or of `only`); `stored` is None without a store."""
    registry = SourceRegistry(redis, names)
    records = only if only is not None else await registry.records()
    if not records:
        return []
    published = await registry.published()
    letters = await dead_letters_by_source(redis, names)
    stored = await stored_by_source(store, [r.name for r in records]) if store else None
    figures = []
    for record in records:
        state = (await registry.state(record)).shown()
        figures.append(
            SourceFigures(
                name=record.name,
                # Shown on the open /api/sources and in `newsflow status`: a credential in
                # the URL (a password, an ?api_key=) stays with the operator who added it.
                url=record.shown().url,
                feeds=len(record.feeds),
                sitemaps=len(record.sitemaps),
                seen=published.get(record.key, 0),
                stored=stored.get(record.name, 0) if stored is not None else None,
                dead_lettered=letters.get(record.name, {}),
                last_polled_at=state.last_polled_at,
                last_success_at=state.last_success_at,
                last_error=state.last_error,
                last_error_at=state.last_error_at,
            )
        )
    return figures
