"""Leases on pending entries, so that an entry is handled by one live consumer at a time
and none is left behind by a consumer that is gone.

The runner keeps resetting the idle time of the entries it holds, retries its own failed
entries once their backoff has passed, and takes over entries of other consumers idle past
`claim_idle_ms` (their holder is gone). FastStream's own `min_idle_time` subscriber only
claims and never reads new entries, and `claim_min_idle_time` needs Redis 8.4, so this runs
beside the ordinary XREADGROUP subscriber and uses XPENDING + XCLAIM (which works on Redis 7).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from shared.delivery import Delivery
from shared.settings import Settings

_RECLAIM_PAGE = 100


class Leases:
    def __init__(
        self, delivery: Delivery, consumer: str, settings: Settings, stopping: asyncio.Event
    ) -> None:
        self.delivery = delivery
        self.redis = delivery.redis
        self.inbox = delivery.inbox
        self.group = delivery.group
        self.consumer = consumer
        self.settings = settings
        self.stopping = stopping
        self.log = delivery.log
        self._unaccounted_since: dict[bytes, float] = {}
        self._subscriber_reached: tuple[int, int] = (0, 0)

    async def adopt_orphans(self) -> None:
        """Entries pending under our own name were left by an earlier process that had it
        (a container restarted with the same hostname and pid): retry them, since the
        subscriber only reads new entries and the lease refresh would keep them forever."""
        orphans: Any = await self.redis.xpending_range(
            self.inbox, self.group, min="-", max="+", count=10_000, consumername=self.consumer
        )
        self.delivery.to_retry.update(item["message_id"] for item in orphans)

    def retry_due_ms(self, delivery_count: int) -> int:
        backoff = self.settings.retry_backoff_ms * 2 ** max(delivery_count - 1, 0)
        return int(min(backoff, self.settings.claim_idle_ms))

    def subscriber_started(self, entry_id: bytes) -> None:
        """The subscriber took `entry_id` in hand. It hands a read batch over in stream
        order, so an entry of ours before this one that is not in hand was lost on the way."""
        reached = _stream_position(entry_id)
        if reached > self._subscriber_reached:
            self._subscriber_reached = reached

    async def refresh(self) -> list[tuple[bytes, int]]:
        """Keep our leases: our own pending entries in hand, or queued in FastStream's read
        batch, get their idle time reset, which tells other consumers this one is alive.
        Returns our failed entries whose backoff has passed, as (id, delivery count)."""
        in_flight, to_retry = self.delivery.in_flight, self.delivery.to_retry
        meant_to_retry = set(to_retry)
        own: Any = await self.redis.xpending_range(
            self.inbox, self.group, min="-", max="+", count=_RECLAIM_PAGE * 10,
            consumername=self.consumer,
        )  # fmt: skip
        if len(own) < _RECLAIM_PAGE * 10:
            # An entry to retry that is no longer pending under our name was taken over
            # by another consumer (ours looked gone) or settled by one: it is theirs now,
            # and kept here it would be remembered for the life of the process.
            to_retry.difference_update(meant_to_retry - {item["message_id"] for item in own})
        alive: list[Any] = []
        due: list[tuple[bytes, int]] = []
        now = time.monotonic()
        # Queued entries wait while the subscriber is busy (an entry taking a minute, a
        # wait for room downstream): only the time the subscriber has passed them, or has
        # been idle, counts toward taking them for lost.
        busy = bool(in_flight)
        unaccounted = self._unaccounted_since
        self._unaccounted_since = {}
        for item in own:
            entry_id: bytes = item["message_id"]
            times = int(item["times_delivered"])
            if entry_id not in in_flight and entry_id not in to_retry:
                # Read but not yet in hand: queued in FastStream's batch, normally for
                # moments. One that stays so for long was lost on the way (a reply cut off
                # by a Redis restart): retry it rather than keep its lease forever.
                passed = _stream_position(entry_id) < self._subscriber_reached
                since = unaccounted.get(entry_id, now) if passed or not busy else now
                if now - since > 2 * self.settings.claim_idle_ms / 1000:
                    to_retry.add(entry_id)
                else:
                    self._unaccounted_since[entry_id] = since
            if entry_id in in_flight or entry_id not in to_retry:
                alive.append(entry_id)
            elif int(item["time_since_delivered"]) >= self.retry_due_ms(times):
                due.append((entry_id, times))
        if alive:
            # JUSTID: the idle time is reset, the delivery count is not raised.
            await self.redis.xclaim(
                self.inbox, self.group, self.consumer, min_idle_time=0, message_ids=alive,
                justid=True,
            )  # fmt: skip
        return due

    async def work(self, due: list[tuple[bytes, int]]) -> int:
        """Retry our `due` entries, then take over other consumers' entries idle past
        `claim_idle_ms` (their holder is gone). Returns how many entries were processed.
        Runs apart from `refresh`, which must go on while an entry here takes a minute."""
        done = 0
        for entry_id, times in due:
            if self.stopping.is_set():
                return done
            done += await self._claim_and_process(entry_id, self.retry_due_ms(times), times)
        stale: Any = await self.redis.xpending_range(
            self.inbox, self.group, min="-", max="+", count=_RECLAIM_PAGE,
            idle=self.settings.claim_idle_ms,
        )  # fmt: skip
        for item in stale:
            owner = item["consumer"].decode()
            if owner == self.consumer or self.stopping.is_set():
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
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xack(self.inbox, self.group, claimed_id)
                pipe.hdel(self.delivery.handling_key, claimed_id)
                pipe.hdel(self.delivery.failures_key, claimed_id)
                pipe.hdel(self.delivery.failure_counts_key, claimed_id)
                await pipe.execute()
            self.delivery.to_retry.discard(claimed_id)
            return 0
        await self.delivery.process(claimed_id, fields, delivery_count=times + 1)
        return 1


def _stream_position(entry_id: bytes) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition(b"-")
    return int(milliseconds), int(sequence or 0)
