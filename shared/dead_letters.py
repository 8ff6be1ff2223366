"""Reading, replaying and purging the dead-letter stream (what `newsflow dlq` does)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from shared.events import DeadLetter
from shared.streams import DATA_FIELD, StreamNames

_PAGE = 500


@dataclass(frozen=True)
class DeadLetterEntry:
    entry_id: str
    letter: DeadLetter


@dataclass(frozen=True)
class LetterFilter:
    stage: str | None = None
    reason: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        return (self.stage is None or letter.stage == self.stage) and (
            self.reason is None or letter.reason == self.reason
        )


def _decode(entry_id: Any, fields: Any) -> DeadLetterEntry | None:
    raw = fields.get(DATA_FIELD.encode())
    if raw is None:
        return None
    ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    return DeadLetterEntry(ident, DeadLetter.model_validate(orjson.loads(raw)))


async def list_letters(
    redis: Redis, names: StreamNames, where: LetterFilter = LetterFilter()
) -> list[DeadLetterEntry]:
    found: list[DeadLetterEntry] = []
    start = "-"
    while True:
        page: Any = await redis.xrange(names.dlq, min=start, max="+", count=_PAGE)
        for entry_id, fields in page:
            entry = _decode(entry_id, fields)
            if entry is not None and where.matches(entry.letter):
                found.append(entry)
        if len(page) < _PAGE:
            return found
        last = page[-1][0].decode()
        start = f"({last}"


async def get_letter(redis: Redis, names: StreamNames, entry_id: str) -> DeadLetterEntry | None:
    page: Any = await redis.xrange(names.dlq, min=entry_id, max=entry_id, count=1)
    return _decode(*page[0]) if page else None


async def replay(
    redis: Redis, names: StreamNames, entries: list[DeadLetterEntry], *, keep: bool = False
) -> list[str]:
    """Put each payload back, as it arrived, on the stream of the stage it failed in, and
    (unless `keep`) remove it from the dead-letter stream in the same transaction. The
    payload is unchanged, so the article keeps its id; the sink's upsert makes a repeated
    replay harmless."""
    new_ids: list[str] = []
    for entry in entries:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xadd(entry.letter.source_stream, dict(entry.letter.payload))  # type: ignore[arg-type]
            if not keep:
                pipe.xdel(names.dlq, entry.entry_id)
            result: Any = await pipe.execute()
        new_ids.append(result[0].decode() if isinstance(result[0], bytes) else str(result[0]))
    return new_ids


async def purge(redis: Redis, names: StreamNames, entries: list[DeadLetterEntry]) -> int:
    if not entries:
        return 0
    return int(await redis.xdel(names.dlq, *[e.entry_id for e in entries]))


def reasons_summary(entries: list[DeadLetterEntry]) -> Iterator[tuple[str, str, int]]:
    counts: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry.letter.stage, entry.letter.reason)
        counts[key] = counts.get(key, 0) + 1
    for (stage, reason), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        yield stage, reason, n
