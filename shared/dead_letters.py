"""Dead letters: how a stage writes one, and reading, replaying and purging them (what
`newsflow dlq` does).

A letter keeps the entry's fields so it can be replayed byte for byte: UTF-8 fields as text
(readable in `newsflow dlq show`), the others as base64. Hostile input can be huge, so only
the first `dlq_max_payload_bytes` are kept, with the size and sha256 of what arrived; such a
letter is for looking at, not for replaying.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from shared.errors import Rejected
from shared.events import DeadLetter, Stage
from shared.secret_text import masked
from shared.streams import DATA_FIELD, Fields, StreamNames, entry_ids
from shared.submission_ids import raw_entry_article_id

_PAGE = 500
_MAX_MESSAGE_CHARS = 2000


class NotReplayable(Exception):
    """The letter kept only part of its payload: replaying it would publish something else."""


@dataclass(frozen=True)
class KeptPayload:
    text: dict[str, str]
    b64: dict[str, str]
    truncated: bool
    size: int
    sha256: dict[str, str]


def kept_payload(fields: Fields, max_bytes: int) -> KeptPayload:
    """The fields up to `max_bytes` in all. Each field gets a fair share of the budget, so
    the small ones (url, source) are kept whole beside a huge `content`."""
    values = {
        (key.decode("utf-8", "backslashreplace") if isinstance(key, bytes) else str(key)): (
            value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
        )
        for key, value in fields.items()
    }
    shares = _fair_shares({name: len(value) for name, value in values.items()}, max_bytes)
    text: dict[str, str] = {}
    b64: dict[str, str] = {}
    for name, value in values.items():
        part = value[: shares[name]]
        as_text = _utf8(part, cut=len(part) < len(value))
        if as_text is None:
            b64[name] = base64.b64encode(part).decode("ascii")
        else:
            text[name] = as_text
    return KeptPayload(
        text=text,
        b64=b64,
        truncated=any(shares[name] < len(value) for name, value in values.items()),
        size=sum(len(value) for value in values.values()),
        sha256={name: hashlib.sha256(value).hexdigest() for name, value in values.items()},
    )


def _fair_shares(sizes: dict[str, int], budget: int) -> dict[str, int]:
    shares: dict[str, int] = {}
    left = budget
    ordered = sorted(sizes.items(), key=lambda item: item[1])
    for position, (name, size) in enumerate(ordered):
        shares[name] = min(size, left // (len(ordered) - position))
        left -= shares[name]
    return shares


def _utf8(part: bytes, *, cut: bool) -> str | None:
    # A cut can split a character: drop up to 3 bytes of it rather than call the field binary.
    for drop in range(4 if cut else 1):
        try:
            return part[: len(part) - drop].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def dead_letter_for(
    stage: Stage,
    source_stream: str,
    entry_id: bytes,
    fields: Fields,
    *,
    reason: str,
    exc: Exception,
    delivery_count: int,
    first_failed_at: datetime | None,
    now: datetime,
    max_payload_bytes: int,
) -> DeadLetter:
    article_id, trace_id = entry_ids(fields)
    if article_id is None and stage == "fetcher":
        # A raw submission has no id yet: the one the fetcher (and the api's answer) gives
        # it, so `newsflow trace` finds a fetch that failed.
        article_id = raw_entry_article_id(fields)
    payload = kept_payload(fields, max_payload_bytes)
    # A driver's error may quote a connection string: no password goes into the DLQ.
    message = masked(exc.message if isinstance(exc, Rejected) else str(exc))
    return DeadLetter(
        stage=stage,
        reason=reason,
        error_type=type(exc).__name__,
        message=message[:_MAX_MESSAGE_CHARS],
        delivery_count=delivery_count,
        first_failed_at=first_failed_at or now,
        last_failed_at=now,
        source_stream=source_stream,
        source_entry_id=entry_id.decode(),
        article_id=article_id,
        trace_id=trace_id,
        payload=payload.text,
        payload_b64=payload.b64,
        payload_truncated=payload.truncated,
        payload_size=payload.size,
        payload_sha256=payload.sha256,
    )


def replay_fields(entry_id: str, letter: DeadLetter) -> dict[str, bytes | str]:
    """The entry's fields exactly as they arrived; NotReplayable if only part was kept."""
    if letter.payload_truncated:
        kept = sum(len(v.encode()) for v in letter.payload.values()) + sum(
            len(base64.b64decode(v)) for v in letter.payload_b64.values()
        )
        raise NotReplayable(
            f"dead letter {entry_id} kept only {kept} of {letter.payload_size} bytes of its "
            "payload: it cannot be replayed"
        )
    return {
        **letter.payload,
        **{name: base64.b64decode(value) for name, value in letter.payload_b64.items()},
    }


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


# Taking the letter off the DLQ decides who replays it: two `dlq replay` at once (or one
# beside a purge) would each have put it back, one after the other, in a MULTI of their own.
_REPLAY_ONCE = """
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
"""


async def replay(
    redis: Redis, names: StreamNames, entries: list[DeadLetterEntry], *, keep: bool = False
) -> list[str]:
    """Put each payload back, byte for byte as it arrived, on the stream of the stage it
    failed in, and (unless `keep`) remove it from the dead-letter stream in the same
    script; a letter already gone (replayed or purged meanwhile) is not replayed again. The
    payload is unchanged, so the article keeps its id; the sink's upsert makes a repeated
    replay (`keep`) harmless. NotReplayable, before anything is replayed, if a letter kept
    only part of its payload. Returns the new entries' ids."""
    replays = [(entry, replay_fields(entry.entry_id, entry.letter)) for entry in entries]
    script: Any = redis.register_script(_REPLAY_ONCE)
    new_ids: list[str] = []
    for entry, fields in replays:
        if keep:
            new_id: Any = await redis.xadd(entry.letter.source_stream, fields)  # type: ignore[arg-type]
        else:
            pairs = [part for name, value in fields.items() for part in (name, value)]
            new_id = await script(
                keys=[names.dlq, entry.letter.source_stream], args=[entry.entry_id, *pairs]
            )
            if new_id is None:
                continue
        new_ids.append(new_id.decode() if isinstance(new_id, bytes) else str(new_id))
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
