"""Handling one entry and settling it, in one place for every stage.

* the output goes to the next stream and the input is acknowledged in one MULTI/EXEC, so an
  entry is either still pending or already forwarded, never lost between the two;
* `Rejected` input goes to the dead-letter stream at once; `Unavailable` (the database is
  down) keeps the entry pending and pauses the stage; other errors are retried with
  exponential backoff (by the leases, `shared/leases.py`), then dead-lettered after
  failing `max_deliveries` times (outages, crashes and `Deferred` do not count toward it);
* before handling, it waits while the next stream's backlog is over `max_backlog`;
* while an entry is in hand it is marked in `<prefix>:handling:<stage>`, and the mark is
  cleared with the entry's outcome: a mark left behind means the process died with the
  entry in hand (killed, out of memory), which is how the leases recognise poison.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import metrics
from shared.backpressure import RoomGate
from shared.dead_letters import dead_letter_for
from shared.errors import Deferred, Rejected, Unavailable
from shared.events import ArticleEvent
from shared.logs import get_logger
from shared.pipeline import PipelineStage
from shared.pipeline_status import THROUGHPUT_WINDOW_S, throughput_key
from shared.settings import Settings
from shared.streams import Fields, StreamNames, encode_json, entry_ids
from shared.submission_ids import raw_entry_article_id


@dataclass(frozen=True)
class Forward:
    """What a handler returns when it writes more than the next stage's event (the alerts
    stage: its matches): `writes` queues commands on the transaction that acknowledges the
    entry, so they happen with the ack or not at all."""

    writes: Callable[[Pipeline], None]
    event: ArticleEvent | None = None


Handler = Callable[[Fields], Awaitable[ArticleEvent | Forward | None]]


class Outcome(StrEnum):
    """How a stage finished an entry: the `outcome` label of `newsflow_messages_total`."""

    FORWARDED = "forwarded"  # handled; output (if any) forwarded and the entry acknowledged
    DEAD_LETTERED = "dead_lettered"  # given up on: on the dead-letter stream, acknowledged
    RETRY = "retry"  # failed; left pending, to be handled again after a backoff
    UNAVAILABLE = "unavailable"  # a dependency is down; left pending, the stage pauses


class KilledWhileHandling(Exception):
    """The stage's process ended (killed, out of memory, crashed) while this entry was in
    hand, as many times as an entry may be delivered: the entry is taken to be what kills
    it, and is dead-lettered instead of handled again."""


# The stream entry being handled, for work that must recognise its own redelivery (the
# fetcher's seen-set: a URL it marked itself before a crash is not "already fetched").
_current_entry: ContextVar[str] = ContextVar("newsflow_current_entry", default="")


def current_entry_id() -> str:
    return _current_entry.get()


class Delivery:
    """Handles entries of one stage's input and settles each one."""

    def __init__(
        self,
        stage: PipelineStage,
        handle: Handler,
        settings: Settings,
        redis: Redis,
        *,
        gate: RoomGate | None,
        stopping: asyncio.Event,
    ) -> None:
        self.names = names = StreamNames(settings.stream_prefix)
        self.stage = stage
        self.handle = handle
        self.settings = settings
        self.redis = redis
        self.inbox = names.stream(stage.input)
        self.outbox = names.stream(stage.output) if stage.output else None
        self.dlq = names.dlq
        self.group = stage.group
        # An entry's first failure time, and how often it failed: the count, not Redis's
        # delivery count (which every outage's retry and every crash's redelivery raises),
        # is what `max_deliveries` bounds.
        self.failures_key = names.stream(f"failures:{stage.name}")
        self.failure_counts_key = names.stream(f"failure_counts:{stage.name}")
        self.handling_key = names.stream(f"handling:{stage.name}")
        self.gate = gate
        self.stopping = stopping
        self.log = get_logger(f"newsflow.{stage.name}")
        # Entries of ours in hand, and entries of ours to handle again (failed here, or
        # left by an earlier process under our name): the leases keep or retry them.
        self.in_flight: set[bytes] = set()
        self.to_retry: set[bytes] = set()
        self._outage_pause_s = 0.0

    async def process(self, entry_id: bytes, fields: Fields, *, delivery_count: int) -> None:
        self.in_flight.add(entry_id)
        entry_token = _current_entry.set(entry_id.decode())
        outcome: Outcome | None = None
        try:
            # In the try: whatever the entry holds, it leaves `in_flight` (an entry kept
            # there has its lease renewed forever and is never retried).
            article_id, trace_id = entry_ids(fields)
            if article_id is None and self.inbox == self.names.raw:
                # A submission: named by the id the fetcher will give it, as its dead letter is.
                article_id = raw_entry_article_id(fields)
            structlog.contextvars.bind_contextvars(
                stage=self.stage.name,
                entry_id=entry_id.decode(),
                article_id=article_id,
                trace_id=trace_id,
            )
            outcome = await self._handle_and_settle(entry_id, fields, delivery_count)
        except Exception:
            # Redis itself failed (forward, ack or dead-letter): the entry stays pending and
            # is retried like a failure, so nothing is lost; the subscriber carries on.
            self.to_retry.add(entry_id)
            self.log.exception("delivery_failed")
        finally:
            if outcome is not None:
                metrics.MESSAGES.labels(self.stage.name, outcome).inc()
            self.in_flight.discard(entry_id)
            _current_entry.reset(entry_token)
            structlog.contextvars.clear_contextvars()

    async def _handle_and_settle(
        self, entry_id: bytes, fields: Fields, delivery_count: int
    ) -> Outcome | None:
        if delivery_count > 1:
            # Redelivered: if the stage died with this entry in hand as often as an entry
            # may be delivered, the entry is what kills it; handling it again would too.
            crashes: Any = await self.redis.hget(self.handling_key, entry_id)
            if crashes is not None and int(crashes) >= self.settings.max_deliveries:
                died = KilledWhileHandling(
                    f"the stage stopped {int(crashes)} times with this entry in hand "
                    "(killed, out of memory or crashed); it is not handled again"
                )
                await self.dead_letter(entry_id, fields, "poison", died, delivery_count)
                return Outcome.DEAD_LETTERED
        if self.gate is not None:
            waited = await self.gate.wait(cancelled=self.stopping)
            if waited is None:
                return None  # shutting down: the entry stays pending for the next consumer
            if waited > 1.0:
                self.log.info("backpressure_waited", seconds=round(waited, 1))
        started = time.perf_counter()
        await self.redis.hincrby(self.handling_key, entry_id, 1)
        try:
            handled = await self.handle(fields)
        except asyncio.CancelledError:
            # A stop past its grace, not a crash: the entry stays pending for the next
            # consumer, and its mark is taken back so that restarts never make it poison.
            with contextlib.suppress(Exception):
                await self.redis.hincrby(self.handling_key, entry_id, -1)
            raise
        except Rejected as exc:
            await self.dead_letter(entry_id, fields, exc.reason, exc, delivery_count)
            return Outcome.DEAD_LETTERED
        except Unavailable as exc:
            await self._unavailable(entry_id, exc)
            return Outcome.UNAVAILABLE
        except Deferred as exc:
            await self._deferred(entry_id, exc)
            return Outcome.RETRY
        except Exception as exc:
            return await self._failed(entry_id, fields, exc, delivery_count)
        self._outage_pause_s = 0.0
        forward = handled if isinstance(handled, Forward) else None
        output = handled.event if isinstance(handled, Forward) else handled
        if output is not None:
            structlog.contextvars.bind_contextvars(article_id=output.id, trace_id=output.trace_id)
        await self._forward_and_ack(entry_id, output, forward)
        metrics.PROCESSING_SECONDS.labels(self.stage.name).observe(time.perf_counter() - started)
        return Outcome.FORWARDED

    async def _forward_and_ack(
        self, entry_id: bytes, output: ArticleEvent | None, forward: Forward | None = None
    ) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            if output is not None and self.outbox is not None:
                pipe.xadd(self.outbox, encode_json(output.to_json()))
            if forward is not None:
                forward.writes(pipe)
            pipe.xack(self.inbox, self.group, entry_id)
            pipe.hdel(self.handling_key, entry_id)
            if entry_id in self.to_retry:
                pipe.hdel(self.failures_key, entry_id)
                pipe.hdel(self.failure_counts_key, entry_id)
            throughput = throughput_key(self.names, self.stage.name, int(time.time()))
            pipe.incr(throughput)
            pipe.expire(throughput, THROUGHPUT_WINDOW_S * 2)
            await pipe.execute()
        self.to_retry.discard(entry_id)
        self.log.debug("processed")

    async def _unavailable(self, entry_id: bytes, exc: Unavailable) -> None:
        """Keep the entry pending (it is retried, never dead-lettered for this) and pause, so
        the stage does not run through its whole input while the dependency is down."""
        self.to_retry.add(entry_id)
        await self.redis.hincrby(self.handling_key, entry_id, -1)
        self._outage_pause_s = min(
            max(self._outage_pause_s * 2, 0.5), self.settings.outage_pause_max_s
        )
        self.log.warning(
            "dependency_unavailable", error=str(exc)[:500], pause_s=self._outage_pause_s
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=self._outage_pause_s)

    async def _deferred(self, entry_id: bytes, exc: Deferred) -> None:
        """Kept pending for the leases to retry, like a failure that is not counted."""
        self.to_retry.add(entry_id)
        await self.redis.hincrby(self.handling_key, entry_id, -1)
        self.log.info("deferred", reason=str(exc)[:500])

    async def _failed(
        self, entry_id: bytes, fields: Fields, exc: Exception, delivery_count: int
    ) -> Outcome:
        now = datetime.now(UTC).isoformat()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.failures_key, entry_id, now)
            pipe.hincrby(self.failure_counts_key, entry_id, 1)
            pipe.hincrby(self.handling_key, entry_id, -1)
            _first, failures, _handling = await pipe.execute()
        if int(failures) >= self.settings.max_deliveries:
            await self.dead_letter(entry_id, fields, "retries_exhausted", exc, delivery_count)
            return Outcome.DEAD_LETTERED
        self.to_retry.add(entry_id)
        self.log.warning(
            "will_retry",
            error_type=type(exc).__name__,
            error=str(exc)[:500],
            failures=int(failures),
            delivery_count=delivery_count,
            max_deliveries=self.settings.max_deliveries,
        )
        return Outcome.RETRY

    async def dead_letter(
        self,
        entry_id: bytes,
        fields: Fields,
        reason: str,
        exc: Exception,
        delivery_count: int,
    ) -> None:
        first: Any = await self.redis.hget(self.failures_key, entry_id)
        letter = dead_letter_for(
            self.stage.name, self.inbox, entry_id, fields, reason=reason, exc=exc,
            delivery_count=delivery_count,
            first_failed_at=datetime.fromisoformat(first.decode()) if first else None,
            now=datetime.now(UTC), max_payload_bytes=self.settings.dlq_max_payload_bytes,
        )  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            # Approximate MAXLEN bounds the DLQ between trims at no cost per letter.
            pipe.xadd(
                self.dlq, encode_json(letter.to_json()),
                maxlen=self.settings.dlq_max_length or None, approximate=True,
            )  # fmt: skip
            pipe.xack(self.inbox, self.group, entry_id)
            pipe.hdel(self.failures_key, entry_id)
            pipe.hdel(self.failure_counts_key, entry_id)
            pipe.hdel(self.handling_key, entry_id)
            await pipe.execute()
        self.to_retry.discard(entry_id)
        self.log.warning(
            "dead_lettered",
            reason=reason,
            error=letter.message[:500],
            delivery_count=delivery_count,
        )
