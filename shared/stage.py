"""The runner every stage runs on: it reads the stage's input and composes the parts of
delivery.

Each stage hands a `StageRunner` its row of the pipeline (`shared/pipeline.py`) and its
work as `handle(fields) -> ArticleEvent | None`; the runner

* creates the consumer group at id 0 before the subscriber starts, so entries published
  before the stage first ran are consumed (FastStream would create it at `$`);
* hands each entry to `Delivery` (`shared/delivery.py`: forward+ack, retries, dead letters,
  outages, backpressure);
* keeps the leases of its entries and takes over those of consumers that are gone
  (`shared/leases.py`);
* does the housekeeping of its input stream (`shared/stream_upkeep.py`) and serves /metrics
  and /health (`shared/health.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from faststream import AckPolicy
from faststream.redis import StreamSub
from faststream.redis.message import FAKE_CONSUMER, DefaultStreamMessage, RedisStreamMessage
from redis.asyncio import Redis

from shared.backpressure import RoomGate
from shared.delivery import Delivery, Handler
from shared.health import HealthServer, ReadinessCheck
from shared.leases import Leases
from shared.logs import get_logger
from shared.pipeline import PipelineStage, reader_of, side_readers_of
from shared.redis_connection import ensure_group, redis_client
from shared.settings import Settings
from shared.stream_upkeep import (
    export_stream_metrics,
    forget_consumer_if_done,
    forget_idle_consumers,
    trim_acknowledged,
    trim_dead_letters,
)
from shared.streams import Fields, StreamNames

# Housekeeping rounds (one per claim interval) between two sweeps of gone consumers.
_ROUNDS_PER_CONSUMER_SWEEP = 60


async def parse_entry(message: DefaultStreamMessage) -> RedisStreamMessage:
    """FastStream parser that never fails: decoding belongs to the stage, where a bad entry
    can be dead-lettered. (FastStream's default parser raises on non-UTF-8 fields and the
    entry would stay pending forever.)"""
    return RedisStreamMessage(raw_message=message, body=b"", consumer=FAKE_CONSUMER, group=None)


async def raw_entry(message: Any) -> DefaultStreamMessage:
    """FastStream decoder handing the stage the entry as Redis returned it (its id and
    fields). With the broker's `apply_types=False` the handler gets this and nothing is
    injected: FastDepends resolved the message argument in a worker thread per entry, a
    fifth of a light stage's CPU."""
    raw: DefaultStreamMessage = message.raw_message
    return raw


def stage_subscription(stage: PipelineStage, settings: Settings) -> dict[str, Any]:
    """`broker.subscriber(**stage_subscription(...))`: the stage's input stream read by its
    group, entries handed over undecoded and acknowledged by the runner."""
    inbox = StreamNames(settings.stream_prefix).stream(stage.input)
    return {
        "stream": StreamSub(
            inbox,
            group=stage.group,
            consumer=settings.consumer_name,
            max_records=settings.batch_size,
            polling_interval=settings.block_ms,
        ),
        "parser": parse_entry,
        "decoder": raw_entry,
        "ack_policy": AckPolicy.MANUAL,
        "title": inbox,
    }


class StageRunner:
    def __init__(
        self,
        stage: PipelineStage,
        handle: Handler,
        settings: Settings,
        *,
        ready_checks: Mapping[str, ReadinessCheck] | None = None,
    ) -> None:
        self.stage = stage
        self.handle = handle
        self.settings = settings
        self.names = StreamNames(settings.stream_prefix)
        self.inbox = self.names.stream(stage.input)
        self.consumer = settings.consumer_name
        self.log = get_logger(f"newsflow.{stage.name}")
        self._ready_checks = dict(ready_checks or {})
        self._redis: Redis | None = None
        self._delivery: Delivery | None = None
        self._leases: Leases | None = None
        self._upkeep: asyncio.Task[None] | None = None
        self._lease_work: asyncio.Task[int] | None = None
        self._health: HealthServer | None = None
        self._stopping = asyncio.Event()
        self._last_trim = 0.0

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("StageRunner.start() has not run")
        return self._redis

    @property
    def delivery(self) -> Delivery:
        if self._delivery is None:
            raise RuntimeError("StageRunner.start() has not run")
        return self._delivery

    @property
    def leases(self) -> Leases:
        if self._leases is None:
            raise RuntimeError("StageRunner.start() has not run")
        return self._leases

    @property
    def subscription(self) -> dict[str, Any]:
        return stage_subscription(self.stage, self.settings)

    async def start(self) -> None:
        """Before the subscriber starts: the group must exist at id 0."""
        self._redis = redis_client(self.settings)
        await ensure_group(self.redis, self.inbox, self.stage.group)
        reader = reader_of(self.stage)
        gate = (
            RoomGate(
                self.redis,
                self.names.stream(reader.input),
                reader.group,
                self.settings.max_backlog,
                side_groups=[side.group for side in side_readers_of(self.stage)],
            )
            if reader is not None
            else None
        )
        self._delivery = Delivery(
            self.stage, self.handle, self.settings, self.redis, gate=gate, stopping=self._stopping
        )
        self._leases = Leases(self.delivery, self.consumer, self.settings, self._stopping)
        await self.leases.adopt_orphans()
        self._upkeep = asyncio.create_task(self._upkeep_forever(), name="upkeep")
        port = self.settings.http_port
        port = self.stage.metrics_port if port is None else port
        if port:
            checks = {"redis": self._redis_ready, "group": self._group_ready}
            self._health = HealthServer(
                self.settings.http_host, port, {**checks, **self._ready_checks}
            )
            await self._health.start()
        outbox = self.delivery.outbox
        self.log.info("stage_started", stage=self.stage.name, inbox=self.inbox, outbox=outbox)

    async def begin_shutdown(self) -> None:
        """Before the subscriber stops: no new waits for room or outages, no new reclaims;
        the entry in hand finishes."""
        self._stopping.set()

    async def stop(self) -> None:
        """After the subscriber stopped: end the upkeep, close the connection."""
        self._stopping.set()
        # Let an entry the leases are working on finish; a hard cancel would leave it
        # pending until another consumer claims it, which is safe but slow. (wait_for
        # cancels what is still running when the time is up.)
        for task in (self._upkeep, self._lease_work):
            if task is not None:
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=self.settings.claim_interval_s)
        if self._health is not None:
            await self._health.stop()
        if self._redis is not None:
            try:
                await forget_consumer_if_done(
                    self.redis, self.inbox, self.stage.group, self.consumer
                )
            except Exception:
                self.log.warning("consumer_not_forgotten", exc_info=True)
            await self._redis.aclose()

    async def _redis_ready(self) -> bool:
        return bool(await self.redis.ping())

    async def _group_ready(self) -> bool:
        groups: Any = await self.redis.xinfo_groups(self.inbox)
        group = self.stage.group
        return any(g["name"] in (group, group.encode()) for g in groups)

    async def on_entry(self, raw: DefaultStreamMessage) -> None:
        entry_id = raw["message_ids"][0]
        self.leases.subscriber_started(entry_id)
        await self.process(entry_id, raw["data"], delivery_count=1)

    async def process(self, entry_id: bytes, fields: Fields, *, delivery_count: int) -> None:
        await self.delivery.process(entry_id, fields, delivery_count=delivery_count)

    async def trim_inbox(self) -> int:
        return await trim_acknowledged(self.redis, self.inbox, self.settings.retain_acked_s)

    async def _lease_work_logged(self, due: list[tuple[bytes, int]]) -> int:
        try:
            return await self.leases.work(due)
        except Exception:
            self.log.exception("reclaim_failed")
            return 0

    async def _upkeep_forever(self) -> None:
        """Between entries, every `claim_interval_s`: leases, stream metrics, and now and
        then trimming the input and forgetting consumers that are gone."""
        rounds = 0
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=self.settings.claim_interval_s
                )
            if self._stopping.is_set():
                return
            try:
                # The retries and take-overs run in a task of their own: one may take a
                # minute, and the leases of the entries in hand must be kept meanwhile.
                due = await self.leases.refresh()
                if self._lease_work is None or self._lease_work.done():
                    self._lease_work = asyncio.create_task(
                        self._lease_work_logged(due), name="lease-work"
                    )
                await export_stream_metrics(self.redis, self.names, self.stage)
                if time.monotonic() - self._last_trim > self.settings.trim_interval_s:
                    self._last_trim = time.monotonic()
                    await self.trim_inbox()
                    await trim_dead_letters(self.redis, self.names.dlq, self.settings)
                rounds += 1
                if rounds % _ROUNDS_PER_CONSUMER_SWEEP == 0:
                    await forget_idle_consumers(
                        self.redis, self.inbox, self.stage.group, keep=self.consumer
                    )
            except Exception:
                self.log.exception("reclaim_failed")
