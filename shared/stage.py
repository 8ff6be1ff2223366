"""The one place that reads, forwards+acks, retries, dead-letters and reclaims.

Each stage hands a `StageRunner` its work as `handle(fields) -> ArticleEvent | None` and
the runner owns delivery:

* the consumer group is created at id 0 before the subscriber starts, so entries published
  before the stage first ran are consumed (FastStream would create it at `$`);
* the output goes to the next stream and the input is acknowledged in one MULTI/EXEC, so an
  entry is either still pending or already forwarded, never lost between the two;
* `Rejected` input goes to the dead-letter stream at once; `Unavailable` (the database is
  down) keeps the entry pending and pauses the stage; other errors are retried with
  exponential backoff, then dead-lettered after `max_deliveries`;
* before handling, it waits while the next stream's backlog is over `max_backlog`;
* a lease per entry: the runner keeps resetting the idle time of the entries it holds, and
  takes over entries of other consumers idle past `claim_idle_ms` (their holder is gone).
  FastStream's own `min_idle_time` subscriber only claims and never reads new entries, and
  `claim_min_idle_time` needs Redis 8.4, so this loop runs beside the ordinary XREADGROUP
  subscriber and uses XPENDING + XCLAIM (which works on Redis 7);
* it serves /metrics and /health, and trims acknowledged history from its input stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.redis import StreamSub
from faststream.redis.message import FAKE_CONSUMER, DefaultStreamMessage, RedisStreamMessage
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared import metrics
from shared.backpressure import RoomGate
from shared.dead_letters import dead_letter_for
from shared.errors import Rejected, Unavailable
from shared.events import ArticleEvent, Stage
from shared.health import DEFAULT_PORTS, HealthServer, ReadinessCheck
from shared.logs import get_logger
from shared.pipeline_status import THROUGHPUT_WINDOW_S, throughput_key
from shared.settings import Settings
from shared.stream_upkeep import (
    export_stream_metrics,
    forget_idle_consumers,
    trim_acknowledged,
    trim_dead_letters,
)
from shared.streams import (
    DOWNSTREAM,
    Fields,
    StreamNames,
    encode_json,
    entry_ids,
)

Handler = Callable[[Fields], Awaitable[ArticleEvent | None]]

# The stream entry being handled, for work that must recognise its own redelivery (the
# fetcher's seen-set: a URL it marked itself before a crash is not "already fetched").
_current_entry: ContextVar[str] = ContextVar("newsflow_current_entry", default="")


def current_entry_id() -> str:
    return _current_entry.get()


_RECLAIM_PAGE = 100


def redis_client(settings: Settings) -> Redis:
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        health_check_interval=30,
        socket_keepalive=True,
        retry_on_timeout=True,
    )


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create the group at the start of the stream (and the stream itself) if missing."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def parse_entry(message: DefaultStreamMessage) -> RedisStreamMessage:
    """FastStream parser that never fails: decoding belongs to the stage, where a bad entry
    can be dead-lettered. (FastStream's default parser raises on non-UTF-8 fields and the
    entry would stay pending forever.)"""
    return RedisStreamMessage(raw_message=message, body=b"", consumer=FAKE_CONSUMER, group=None)


class StageRunner:
    def __init__(
        self,
        stage: Stage,
        handle: Handler,
        settings: Settings,
        *,
        ready_checks: Mapping[str, ReadinessCheck] | None = None,
    ) -> None:
        self.stage: Stage = stage
        self.handle = handle
        self.settings = settings
        self.names = StreamNames(settings.stream_prefix)
        self.inbox = self.names.input_of(stage)
        self.outbox = self.names.output_of(stage)
        self.group = self.names.group_of(stage)
        self.consumer = settings.consumer_name
        self.failures_key = self.names.stream(f"failures:{stage}")
        self.log = get_logger(f"newsflow.{stage}")
        self._redis: Redis | None = None
        self._in_flight: set[bytes] = set()
        self._failed_here: set[bytes] = set()
        self._unaccounted_since: dict[bytes, float] = {}
        self._reclaimer: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._gate: RoomGate | None = None
        self._outage_pause_s = 0.0
        self._last_trim = 0.0
        port = settings.http_port if settings.http_port is not None else DEFAULT_PORTS[stage]
        self._health = (
            HealthServer(
                settings.http_host,
                port,
                {"redis": self._redis_ready, "group": self._group_ready, **(ready_checks or {})},
            )
            if port
            else None
        )

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("StageRunner.start() has not run")
        return self._redis

    @property
    def stream_sub(self) -> StreamSub:
        return StreamSub(
            self.inbox,
            group=self.group,
            consumer=self.consumer,
            max_records=self.settings.batch_size,
            polling_interval=self.settings.block_ms,
        )

    @property
    def subscription(self) -> dict[str, Any]:
        """`broker.subscriber(**runner.subscription)`: the input stream read by this
        stage's group, entries handed over undecoded and acknowledged by the runner."""
        return {
            "stream": self.stream_sub,
            "parser": parse_entry,
            "ack_policy": AckPolicy.MANUAL,
            "title": self.inbox,
        }

    async def start(self) -> None:
        """Before the subscriber starts: the group must exist at id 0."""
        self._redis = redis_client(self.settings)
        await ensure_group(self.redis, self.inbox, self.group)
        # Entries pending under our own name were left by an earlier process that had it
        # (a container restarted with the same hostname and pid): retry them, since the
        # subscriber only reads new entries and the lease refresh would keep them forever.
        orphans: Any = await self.redis.xpending_range(
            self.inbox, self.group, min="-", max="+", count=10_000, consumername=self.consumer
        )
        self._failed_here.update(item["message_id"] for item in orphans)
        downstream = DOWNSTREAM[self.stage]
        if self.outbox is not None and downstream is not None:
            self._gate = RoomGate(
                self.redis, self.outbox, self.names.group_of(downstream), self.settings.max_backlog
            )
        self._reclaimer = asyncio.create_task(self._reclaim_forever(), name="reclaim")
        if self._health is not None:
            await self._health.start()
        self.log.info("stage_started", stage=self.stage, inbox=self.inbox, outbox=self.outbox)

    async def begin_shutdown(self) -> None:
        """Before the subscriber stops: no new waits for room or outages, no new reclaims;
        the entry in hand finishes."""
        self._stopping.set()

    async def stop(self) -> None:
        """After the subscriber stopped: end the reclaimer, close the connection."""
        self._stopping.set()
        if self._reclaimer is not None:
            # Let an entry the reclaimer is working on finish; a hard cancel would leave it
            # pending until another consumer claims it, which is safe but slow.
            try:
                await asyncio.wait_for(self._reclaimer, timeout=self.settings.claim_interval_s)
            except TimeoutError:
                self._reclaimer.cancel()
        if self._health is not None:
            await self._health.stop()
        if self._redis is not None:
            await self._redis.aclose()

    async def _redis_ready(self) -> bool:
        return bool(await self.redis.ping())

    async def _group_ready(self) -> bool:
        groups: Any = await self.redis.xinfo_groups(self.inbox)
        return any(g["name"] in (self.group, self.group.encode()) for g in groups)

    async def on_message(self, message: RedisStreamMessage) -> None:
        raw = message.raw_message
        await self.process(raw["message_ids"][0], raw["data"], delivery_count=1)

    async def process(self, entry_id: bytes, fields: Fields, *, delivery_count: int) -> None:
        self._in_flight.add(entry_id)
        entry_token = _current_entry.set(entry_id.decode())
        article_id, trace_id = entry_ids(fields)
        structlog.contextvars.bind_contextvars(
            stage=self.stage, entry_id=entry_id.decode(), article_id=article_id, trace_id=trace_id
        )
        outcome = ""
        started = time.perf_counter()
        try:
            if self._gate is not None:
                waited = await self._gate.wait(cancelled=self._stopping)
                if waited is None:
                    return  # shutting down: the entry stays pending for the next consumer
                if waited > 1.0:
                    self.log.info("backpressure_waited", seconds=round(waited, 1))
                started = time.perf_counter()
            try:
                output = await self.handle(fields)
            except Rejected as exc:
                await self._dead_letter(entry_id, fields, exc.reason, exc, delivery_count)
                outcome = "dead_lettered"
            except Unavailable as exc:
                outcome = "unavailable"
                await self._unavailable(entry_id, exc)
            except Exception as exc:
                outcome = await self._failed(entry_id, fields, exc, delivery_count)
            else:
                self._outage_pause_s = 0.0
                if output is not None:
                    structlog.contextvars.bind_contextvars(
                        article_id=output.id, trace_id=output.trace_id
                    )
                await self._forward_and_ack(entry_id, output)
                outcome = "forwarded"
                metrics.PROCESSING_SECONDS.labels(self.stage).observe(time.perf_counter() - started)
        except Exception:
            # Redis itself failed (forward, ack or dead-letter): the entry stays pending and
            # is retried like a failure, so nothing is lost; the subscriber carries on.
            self._failed_here.add(entry_id)
            self.log.exception("delivery_failed")
        finally:
            if outcome:
                metrics.MESSAGES.labels(self.stage, outcome).inc()
            self._in_flight.discard(entry_id)
            _current_entry.reset(entry_token)
            structlog.contextvars.clear_contextvars()

    async def _forward_and_ack(self, entry_id: bytes, output: ArticleEvent | None) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            if output is not None and self.outbox is not None:
                pipe.xadd(self.outbox, encode_json(output.to_json()))
            pipe.xack(self.inbox, self.group, entry_id)
            if entry_id in self._failed_here:
                pipe.hdel(self.failures_key, entry_id)
            throughput = throughput_key(self.names, self.stage, int(time.time()))
            pipe.incr(throughput)
            pipe.expire(throughput, THROUGHPUT_WINDOW_S * 2)
            await pipe.execute()
        self._failed_here.discard(entry_id)
        self.log.debug("processed")

    async def _unavailable(self, entry_id: bytes, exc: Unavailable) -> None:
        """Keep the entry pending (it is retried, never dead-lettered for this) and pause, so
        the stage does not run through its whole input while the dependency is down."""
        self._failed_here.add(entry_id)
        self._outage_pause_s = min(
            max(self._outage_pause_s * 2, 0.5), self.settings.outage_pause_max_s
        )
        self.log.warning(
            "dependency_unavailable", error=str(exc)[:500], pause_s=self._outage_pause_s
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=self._outage_pause_s)

    async def _failed(
        self, entry_id: bytes, fields: Fields, exc: Exception, delivery_count: int
    ) -> str:
        if delivery_count >= self.settings.max_deliveries:
            await self._dead_letter(entry_id, fields, "retries_exhausted", exc, delivery_count)
            return "dead_lettered"
        now = datetime.now(UTC).isoformat()
        await self.redis.hsetnx(self.failures_key, entry_id, now)
        self._failed_here.add(entry_id)
        self.log.warning(
            "will_retry",
            error_type=type(exc).__name__,
            error=str(exc)[:500],
            delivery_count=delivery_count,
            max_deliveries=self.settings.max_deliveries,
        )
        return "retry"

    async def _dead_letter(
        self,
        entry_id: bytes,
        fields: Fields,
        reason: str,
        exc: Exception,
        delivery_count: int,
    ) -> None:
        first: Any = await self.redis.hget(self.failures_key, entry_id)
        letter = dead_letter_for(
            self.stage, self.inbox, entry_id, fields, reason=reason, exc=exc,
            delivery_count=delivery_count,
            first_failed_at=datetime.fromisoformat(first.decode()) if first else None,
            now=datetime.now(UTC), max_payload_bytes=self.settings.dlq_max_payload_bytes,
        )  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            # Approximate MAXLEN bounds the DLQ between trims at no cost per letter.
            pipe.xadd(
                self.names.dlq, encode_json(letter.to_json()),
                maxlen=self.settings.dlq_max_length or None, approximate=True,
            )  # fmt: skip
            pipe.xack(self.inbox, self.group, entry_id)
            pipe.hdel(self.failures_key, entry_id)
            await pipe.execute()
        self._failed_here.discard(entry_id)
        self.log.warning(
            "dead_lettered",
            reason=reason,
            error=letter.message[:500],
            delivery_count=delivery_count,
        )

    def _retry_due_ms(self, delivery_count: int) -> int:
        backoff = self.settings.retry_backoff_ms * 2 ** max(delivery_count - 1, 0)
        return int(min(backoff, self.settings.claim_idle_ms))

    async def reclaim_once(self) -> int:
        """One round of lease keeping. Our own pending entries: failed ones are retried
        once their backoff has passed; the rest (in hand, or queued in FastStream's read
        batch) get their idle time reset, which tells other consumers this one is alive.
        Other consumers' entries idle past `claim_idle_ms` are taken over: their holder is
        gone. Returns how many entries were processed."""
        done = 0
        own: Any = await self.redis.xpending_range(
            self.inbox, self.group, min="-", max="+", count=_RECLAIM_PAGE * 10,
            consumername=self.consumer,
        )  # fmt: skip
        alive: list[Any] = []
        now = time.monotonic()
        unaccounted = self._unaccounted_since
        self._unaccounted_since = {}
        for item in own:
            entry_id: bytes = item["message_id"]
            times = int(item["times_delivered"])
            if entry_id not in self._in_flight and entry_id not in self._failed_here:
                # Read but not yet in hand: queued in FastStream's batch, normally for
                # moments. One that stays so for long was lost on the way (a reply cut off
                # by a Redis restart): retry it rather than keep its lease forever.
                since = unaccounted.get(entry_id, now)
                if now - since > 2 * self.settings.claim_idle_ms / 1000:
                    self._failed_here.add(entry_id)
                else:
                    self._unaccounted_since[entry_id] = since
            if entry_id in self._in_flight or entry_id not in self._failed_here:
                alive.append(entry_id)
            elif int(item["time_since_delivered"]) >= self._retry_due_ms(times):
                done += await self._claim_and_process(entry_id, self._retry_due_ms(times), times)
            if self._stopping.is_set():
                return done
        if alive:
            # JUSTID: the idle time is reset, the delivery count is not raised.
            await self.redis.xclaim(
                self.inbox, self.group, self.consumer, min_idle_time=0, message_ids=alive,
                justid=True,
            )  # fmt: skip
        stale: Any = await self.redis.xpending_range(
            self.inbox, self.group, min="-", max="+", count=_RECLAIM_PAGE,
            idle=self.settings.claim_idle_ms,
        )  # fmt: skip
        for item in stale:
            owner = item["consumer"].decode()
            if owner == self.consumer or self._stopping.is_set():
                continue
            entry_id = item["message_id"]
            self.log.info("reclaiming", from_consumer=owner, entry_id=entry_id.decode())
            done += await self._claim_and_process(
                entry_id, self.settings.claim_idle_ms, int(item["times_delivered"])
            )
        return done

    async def _claim_and_process(self, entry_id: bytes, min_idle_ms: int, times: int) -> int:
        # min_idle_time makes the claim conditional: if another consumer (or our own lease
        # refresh) touched the entry meanwhile, nothing is claimed and nothing runs twice.
        claimed: Any = await self.redis.xclaim(
            self.inbox, self.group, self.consumer, min_idle_time=min_idle_ms,
            message_ids=[entry_id],
        )  # fmt: skip
        if not claimed:
            return 0
        claimed_id, fields = claimed[0]
        if not fields:
            # Trimmed away while pending: nothing left to process.
            await self.redis.xack(self.inbox, self.group, claimed_id)
            return 0
        await self.process(claimed_id, fields, delivery_count=times + 1)
        return 1

    async def trim_inbox(self) -> int:
        return await trim_acknowledged(self.redis, self.inbox, self.settings.retain_acked_s)

    async def _reclaim_forever(self) -> None:
        rounds = 0
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=self.settings.claim_interval_s
                )
            if self._stopping.is_set():
                return
            try:
                await self.reclaim_once()
                await export_stream_metrics(self.redis, self.names, self.stage)
                if time.monotonic() - self._last_trim > self.settings.trim_interval_s:
                    self._last_trim = time.monotonic()
                    await self.trim_inbox()
                    await trim_dead_letters(self.redis, self.names.dlq, self.settings)
                rounds += 1
                if rounds % 60 == 0:
                    await forget_idle_consumers(
                        self.redis, self.inbox, self.group, keep=self.consumer
                    )
            except Exception:
                self.log.exception("reclaim_failed")
