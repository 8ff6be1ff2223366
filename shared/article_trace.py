"""Where one article is: which streams still hold it, whether a stage has it pending,
its dead letters, and its timestamps per stage (what `newsflow trace ID` shows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.dead_letters import DeadLetterEntry, list_letters
from shared.events import ArticleEvent
from shared.pipeline import PIPELINE, PipelineStage, reader_of
from shared.streams import Fields, StreamNames, decode_event_entry
from shared.submission_ids import raw_entry_article_id

_SCAN = 20_000  # entries read of each stream, newest first
_PAGE = 200


@dataclass(frozen=True)
class StreamSighting:
    stream: str
    entry_id: str
    pending_in: str | None  # the reading stage has it in hand, not yet acknowledged
    # The reading stage has not read it yet (its backlog, or its group is not made yet).
    waiting_for: str | None = None


@dataclass
class ArticleTrace:
    article_id: str
    sightings: list[StreamSighting] = field(default_factory=list)
    dead_letters: list[DeadLetterEntry] = field(default_factory=list)
    latest: ArticleEvent | None = None
    stored: bool = False

    def timestamps(self) -> dict[str, str | None]:
        if self.latest is None:
            return {}
        stamps = self.latest.timestamps
        return {
            name: value.isoformat() if value else None
            for name, value in (
                ("received", stamps.received_at),
                ("fetched", stamps.fetched_at),
                ("parsed", stamps.parsed_at),
                ("enriched", stamps.enriched_at),
                ("stored", stamps.stored_at),
            )
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.article_id,
            "stored": self.stored,
            "timestamps": self.timestamps(),
            "streams": [s.__dict__ for s in self.sightings],
            "dead_letters": [
                {"entry_id": d.entry_id, "stage": d.letter.stage, "reason": d.letter.reason,
                 "message": d.letter.message}
                for d in self.dead_letters
            ],
        }  # fmt: skip


async def trace_article(
    redis: Redis, names: StreamNames, article_id: str, stored: ArticleEvent | None
) -> ArticleTrace:
    trace = ArticleTrace(article_id, stored=stored is not None, latest=stored)
    # The raw stream first: a submission the fetcher has not taken yet is only there.
    for stage in PIPELINE:
        if names.stream(stage.input) == names.raw:
            await _raw_sightings(redis, names, stage, trace)
    for stage in PIPELINE:
        if stage.output is None:
            continue
        stream = names.stream(stage.output)
        reader = reader_of(stage)
        read_up_to = await _last_read(redis, stream, reader.group) if reader else None
        async for entry_id, fields in _newest_entries(redis, stream):
            raw = fields.get(b"data")
            if raw is None or article_id.encode() not in raw:
                continue  # cheap filter before parsing
            event = decode_event_entry(fields)
            if event.id != article_id:
                continue
            trace.sightings.append(await _sighting(redis, stream, entry_id, reader, read_up_to))
            if trace.latest is None or _progress(event) > _progress(trace.latest):
                trace.latest = event
    trace.dead_letters = [
        d for d in await list_letters(redis, names) if d.letter.article_id == article_id
    ]
    return trace


async def _raw_sightings(
    redis: Redis, names: StreamNames, reader: PipelineStage, trace: ArticleTrace
) -> None:
    """A raw entry holds a submission, not an event: its id is the one the fetcher (and
    the api's answer) gives it, worked out from its URL or content."""
    read_up_to = await _last_read(redis, names.raw, reader.group)
    async for entry_id, fields in _newest_entries(redis, names.raw):
        # An entry the fetcher refuses has no id (its dead letter says why).
        if raw_entry_article_id(fields) == trace.article_id:
            trace.sightings.append(await _sighting(redis, names.raw, entry_id, reader, read_up_to))


async def _sighting(
    redis: Redis,
    stream: str,
    entry_id: bytes,
    reader: PipelineStage | None,
    read_up_to: tuple[int, int] | None,
) -> StreamSighting:
    pending_in = waiting_for = None
    if reader is not None and (read_up_to is None or _key(entry_id) > read_up_to):
        # Past what the group has read (or no group yet): XPENDING knows nothing of it,
        # and it is not done either.
        waiting_for = reader.name
    elif reader is not None:
        found: Any = await redis.xpending_range(
            stream, reader.group, min=entry_id, max=entry_id, count=1
        )
        pending_in = reader.name if found else None
    return StreamSighting(stream, entry_id.decode(), pending_in, waiting_for)


async def _newest_entries(redis: Redis, stream: str) -> AsyncIterator[tuple[bytes, Fields]]:
    """The stream's newest `_SCAN` entries, newest first, a page at a time: in one reply,
    20,000 entries of a stream of web pages took gigabytes of the command's memory."""
    end = "+"
    read = 0
    while read < _SCAN:
        page: Any = await redis.xrevrange(stream, max=end, count=min(_PAGE, _SCAN - read))
        for entry in page:
            yield entry
        read += len(page)
        if len(page) < _PAGE:
            return
        end = f"({page[-1][0].decode()}"


def _key(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


async def _last_read(redis: Redis, stream: str, group: str) -> tuple[int, int] | None:
    """The id of the last entry `group` has read from `stream`; None without the group."""
    try:
        groups: Any = await redis.xinfo_groups(stream)
    except ResponseError:
        return None  # no stream
    for info in groups:
        name = info["name"]
        if (name.decode() if isinstance(name, bytes) else name) == group:
            return _key(info["last-delivered-id"])
    return None


def _progress(event: ArticleEvent) -> int:
    stamps = event.timestamps
    return sum(
        1 for t in (stamps.fetched_at, stamps.parsed_at, stamps.enriched_at, stamps.stored_at) if t
    )


def encode_trace(trace: ArticleTrace) -> bytes:
    return orjson.dumps(trace.as_dict())
