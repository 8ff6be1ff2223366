"""Python client: publish raw articles and follow enriched events.

async with NewsflowClient.from_settings(get_settings()) as client:
    await client.publish(RawSubmission(content=text, source="UNN"))
    async for event in client.follow(from_start=True):
        print(event.article.title)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any, Self

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.backpressure import RoomGate
from shared.errors import Backlogged, Rejected
from shared.events import ArticleEvent, RawSubmission
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.streams import DATA_FIELD, StreamNames, decode_event_entry, encode_json


class NewsflowClient:
    def __init__(
        self,
        redis: Redis,
        names: StreamNames,
        *,
        max_backlog: int | None = None,
        max_content_bytes: int | None = None,
    ):
        self.redis = redis
        self.names = names
        # Content over this is refused here (None: not checked): the fetcher would only
        # dead-letter it, after it had filled the raw stream.
        self.max_content_bytes = max_content_bytes
        # Publishing waits while the fetcher is this far behind (None: never waits).
        self._gate = (
            RoomGate(redis, names.raw, names.group_of("fetcher"), max_backlog)
            if max_backlog
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> NewsflowClient:
        return cls(
            redis_client(settings),
            StreamNames(settings.stream_prefix),
            max_backlog=settings.max_backlog,
            max_content_bytes=settings.max_content_bytes,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.redis.aclose()

    async def publish(self, submission: RawSubmission, wait_s: float | None = None) -> str:
        """Put one raw article on the raw stream; returns the stream entry id. Waits first
        while the raw stream's backlog is over the limit: as long as it takes, or at most
        `wait_s` and then `Backlogged`. `Rejected` ("too_large") when the content is over
        `max_content_bytes`."""
        self._check_size(submission)
        if self._gate is not None and await self._gate.wait(timeout_s=wait_s) is None:
            raise Backlogged(
                f"the raw stream is {self._gate.limit} entries behind (NEWSFLOW_MAX_BACKLOG)"
            )
        payload = submission.to_json()
        entry_id = await self.redis.xadd(self.names.raw, encode_json(payload))
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def publish_many(self, submissions: Iterable[RawSubmission]) -> list[str]:
        """All or none: one submission over the size cap and nothing is published."""
        submissions = list(submissions)
        for submission in submissions:
            self._check_size(submission)
        if self._gate is not None:
            await self._gate.wait()
        async with self.redis.pipeline(transaction=False) as pipe:
            for submission in submissions:
                payload = submission.to_json()
                pipe.xadd(self.names.raw, encode_json(payload))
            ids = await pipe.execute()
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    def _check_size(self, submission: RawSubmission) -> None:
        content = submission.content
        if self.max_content_bytes is None:
            return
        if submission.content_b64:
            # Four base64 characters carry three bytes (the padding carries none).
            encoded = submission.content_b64
            size = len(encoded) * 3 // 4 - (len(encoded) - len(encoded.rstrip("=")))
        elif content:
            # A str is at least as many UTF-8 bytes as characters: no encoding when that
            # says it.
            size = len(content) if len(content) > self.max_content_bytes else len(content.encode())
        else:
            return
        if size > self.max_content_bytes:
            raise Rejected(
                "too_large",
                f"content is over {self.max_content_bytes} bytes (NEWSFLOW_MAX_CONTENT_BYTES)",
            )

    async def follow(
        self,
        *,
        from_start: bool = False,
        group: str | None = None,
        consumer: str = "subscriber",
        block_ms: int = 1000,
        stream: str | None = None,
    ) -> AsyncIterator[ArticleEvent]:
        """Enriched events as they arrive. With `group`, a consumer group shares the events
        among its members and remembers what was acknowledged; without, a plain XREAD that
        starts at the end (or at the beginning with `from_start`)."""
        name = stream or self.names.enriched
        if group is None:
            last_id = "0" if from_start else "$"
            while True:
                reply: Any = await self.redis.xread({name: last_id}, block=block_ms, count=100)
                for _stream, entries in reply or ():
                    for entry_id, fields in entries:
                        last_id = entry_id.decode()
                        if DATA_FIELD.encode() in fields:
                            yield decode_event_entry(fields)
            return
        try:
            await self.redis.xgroup_create(
                name, group, id="0" if from_start else "$", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        while True:
            reply_group: Any = await self.redis.xreadgroup(
                group, consumer, {name: ">"}, block=block_ms, count=100
            )
            for _stream, entries in reply_group or ():
                for entry_id, fields in entries:
                    if DATA_FIELD.encode() in fields:
                        yield decode_event_entry(fields)
                    await self.redis.xack(name, group, entry_id)
