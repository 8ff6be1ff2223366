"""Dead letters stay small and bounded, and replay gives back the exact bytes it kept.

Issue 11: a 50 MB entry made a 52 MB dead letter, the DLQ was never trimmed, and a
non-UTF-8 payload was altered on replay (`Caf\\xe9 story`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time

import orjson
import pytest
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.article_trace import trace_article
from shared.dead_letters import NotReplayable, list_letters, replay
from shared.errors import Rejected
from shared.events import ArticleEvent, DeadLetter, RawSubmission
from shared.settings import Settings
from shared.stream_upkeep import trim_dead_letters
from shared.streams import Fields, StreamNames, decode_raw_entry, encode_json
from shared.submission_ids import article_id_of
from tests.integration.harness import running, wait_for

pytestmark = pytest.mark.integration

CAP = 64 * 1024


async def refuse_everything(fields: Fields) -> ArticleEvent:
    raise Rejected("too_large", "refused for the test")


async def intake(fields: Fields) -> ArticleEvent:
    return event_from_content(decode_raw_entry(fields), max_bytes=1 << 20)


async def dead_letters_after(
    settings: Settings, redis: Redis, *entries: dict[str, bytes | str]
) -> list[DeadLetter]:
    names = StreamNames(settings.stream_prefix)
    async with running(settings, refuse_everything):
        for fields in entries:
            await redis.xadd(names.raw, fields)  # type: ignore[arg-type]
        await wait_for(lambda: _length_is(redis, names.dlq, len(entries)))
    return [entry.letter for entry in await list_letters(redis, names)]


async def test_an_oversized_payload_is_cut_to_the_cap_with_its_size_and_hash(
    settings: Settings, redis: Redis
) -> None:
    settings = settings.model_copy(update={"dlq_max_payload_bytes": CAP})
    content = ("é" * 1_500_000).encode()  # 3 MB of two-byte characters
    [letter] = await dead_letters_after(
        settings, redis, {"url": "https://example.com/big", "content": content}
    )
    assert letter.payload_truncated
    assert letter.payload["url"] == "https://example.com/big"  # the small field whole
    kept = sum(len(v.encode()) for v in letter.payload.values())
    assert CAP - 4 <= kept <= CAP
    assert content.decode().startswith(letter.payload["content"])
    assert letter.payload_size == len(content) + len(b"https://example.com/big")
    assert letter.payload_sha256["content"] == hashlib.sha256(content).hexdigest()
    assert len(letter.to_json()) < 2 * CAP


async def test_a_small_payload_is_kept_whole(settings: Settings, redis: Redis) -> None:
    [letter] = await dead_letters_after(settings, redis, {"content": "short"})
    assert letter.payload == {"content": "short"} and not letter.payload_truncated
    assert letter.payload_size == 5
    assert letter.payload_sha256 == {"content": hashlib.sha256(b"short").hexdigest()}


async def test_a_failed_fetch_is_found_by_the_id_the_api_answered(
    settings: Settings, redis: Redis
) -> None:
    """A raw submission has no id of its own; its letter names the one the fetcher gives
    it (and `POST /api/articles` answers), so `newsflow trace <id>` finds the failure."""
    names = StreamNames(settings.stream_prefix)
    url = {"url": "https://example.com/story.html", "source": "UNN"}
    text = {"content": "Seoul condemns Pyongyang."}
    await dead_letters_after(settings, redis, url, {"data": orjson.dumps(text)})
    for submission in (url, text):
        article_id = article_id_of(RawSubmission.model_validate(submission))
        trace = await trace_article(redis, names, article_id, stored=None)
        assert [d.letter.reason for d in trace.dead_letters] == ["too_large"], submission


async def test_replay_restores_non_utf8_bytes_exactly(settings: Settings, redis: Redis) -> None:
    names = StreamNames(settings.stream_prefix)
    latin1 = "Café story, déjà vu".encode("latin-1")
    async with running(settings, intake):
        await redis.xadd(names.raw, {"content": latin1, "source": "UNN"})
        await wait_for(lambda: _length_is(redis, names.dlq, 1))
    [entry] = await list_letters(redis, names)
    assert entry.letter.reason == "invalid_encoding"
    assert entry.letter.payload == {"source": "UNN"}
    assert base64.b64decode(entry.letter.payload_b64["content"]) == latin1
    await redis.delete(names.raw)
    await replay(redis, names, [entry])
    [(_id, fields)] = await redis.xrange(names.raw)
    assert fields == {b"content": latin1, b"source": b"UNN"}
    assert await redis.xlen(names.dlq) == 0


async def test_two_replays_at_once_put_a_letter_back_once(settings: Settings, redis: Redis) -> None:
    """Two `newsflow dlq replay --all` at once: each read the letter, each put it back."""
    names = StreamNames(settings.stream_prefix)
    await dead_letters_after(settings, redis, {"content": "short"}, {"content": "other"})
    letters = await list_letters(redis, names)
    await redis.delete(names.raw)
    first, second = await asyncio.gather(
        replay(redis, names, letters), replay(redis, names, letters)
    )
    assert len(first) + len(second) == 2
    assert sorted(fields[b"content"] for _id, fields in await redis.xrange(names.raw)) == [
        b"other",
        b"short",
    ]
    assert await redis.xlen(names.dlq) == 0


async def test_a_cut_payload_is_not_replayable(settings: Settings, redis: Redis) -> None:
    settings = settings.model_copy(update={"dlq_max_payload_bytes": 1024})
    names = StreamNames(settings.stream_prefix)
    await dead_letters_after(settings, redis, {"content": "x" * 5000})
    [entry] = await list_letters(redis, names)
    await redis.delete(names.raw)
    with pytest.raises(NotReplayable, match="1024 of 5000 bytes"):
        await replay(redis, names, [entry])
    assert await redis.exists(names.raw) == 0
    assert await redis.xlen(names.dlq) == 1


async def test_the_dlq_is_trimmed_by_age_and_length(settings: Settings, redis: Redis) -> None:
    names = StreamNames(settings.stream_prefix)
    letter = DeadLetter(
        stage="fetcher", reason="x", error_type="X", message="m",
        source_stream=names.raw, source_entry_id="1-0", payload={},
    )  # fmt: skip
    day_old_ms = int(time.time() * 1000) - 86_400_000
    for n in range(5):
        await redis.xadd(names.dlq, encode_json(letter.to_json()), id=f"{day_old_ms + n}-0")
    for _ in range(20):
        await redis.xadd(names.dlq, encode_json(letter.to_json()))
    settings = settings.model_copy(update={"dlq_retain_s": 3600, "dlq_max_length": 100})
    await trim_dead_letters(redis, names.dlq, settings)
    assert await redis.xlen(names.dlq) == 20
    settings = settings.model_copy(update={"dlq_max_length": 8})
    await trim_dead_letters(redis, names.dlq, settings)
    assert await redis.xlen(names.dlq) == 8


async def test_no_limits_keep_every_letter(settings: Settings, redis: Redis) -> None:
    names = StreamNames(settings.stream_prefix)
    await redis.xadd(names.dlq, {"data": "{}"}, id="1-0")
    settings = settings.model_copy(update={"dlq_retain_s": 0, "dlq_max_length": 0})
    await trim_dead_letters(redis, names.dlq, settings)
    assert await redis.xlen(names.dlq) == 1


async def test_a_running_stage_trims_the_dlq(settings: Settings, redis: Redis) -> None:
    settings = settings.model_copy(update={"dlq_max_length": 3, "trim_interval_s": 0.1})
    names = StreamNames(settings.stream_prefix)
    for _ in range(10):
        await redis.xadd(names.dlq, {"data": "{}"})
    async with running(settings, intake):
        await wait_for(lambda: _length_at_most(redis, names.dlq, 3))


async def _length_is(redis: Redis, stream: str, n: int) -> bool:
    return bool(await redis.xlen(stream) >= n)


async def _length_at_most(redis: Redis, stream: str, n: int) -> bool:
    return bool(await redis.xlen(stream) <= n)
