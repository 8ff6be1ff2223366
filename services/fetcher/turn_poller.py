"""Polling registered things (feeds, sources) at their intervals, one replica a turn.

Each fetcher replica runs the pollers. A per-thing "due" key (SET NX with the interval as
expiry) gives one of them the turn to poll it each interval; publishing once-only is the
publish-once record's job, so a turn taken twice (a key expired early) publishes nothing
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Generic, TypeVar

from redis.asyncio import Redis

from shared.backpressure import RoomGate
from shared.logs import get_logger
from shared.streams import StreamNames

log = get_logger("newsflow.fetcher.turns")

# How often a poller looks for what is due, at most; each thing's own interval decides
# when it is polled.
_TICK_S = 1.0

Polled = TypeVar("Polled")


class TurnPoller(ABC, Generic[Polled]):
    """`registered()` lists what is polled, `turn(thing)` names its due key and interval,
    `poll(thing)` polls it and says how many articles it published."""

    kind: str  # "feeds", "sources": the due keys' namespace and the task's name

    def __init__(
        self,
        redis: Redis,
        names: StreamNames,
        *,
        default_interval_s: float,
        room: RoomGate | None = None,
    ) -> None:
        self.redis = redis
        self.names = names
        self.default_interval_s = default_interval_s
        # Publishing waits while the fetcher is too far behind, as the CLI's publish does.
        self.room = room
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def registered(self) -> Sequence[Polled]: ...

    @abstractmethod
    def turn(self, thing: Polled) -> tuple[str, float | None]:
        """The thing's key (stable across replicas) and its own interval, if it has one."""

    @abstractmethod
    async def poll(self, thing: Polled) -> int: ...

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever(), name=f"{self.kind}-poller")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def poll_due(self) -> int:
        """Poll everything whose interval has passed. Returns how many articles were published."""
        due = [thing for thing in await self.registered() if await self._claim_turn(thing)]
        # Concurrently, so one slow server does not delay the others; each host's
        # politeness gate still spaces requests to it.
        return sum(await asyncio.gather(*(self.poll(thing) for thing in due)))

    async def room_to_publish(self) -> bool:
        """False when shutting down while waiting: the rest is published at the next poll."""
        return self.room is None or await self.room.wait(self._stopping) is not None

    async def _claim_turn(self, thing: Polled) -> bool:
        key, interval = self.turn(thing)
        interval_s = interval or self.default_interval_s
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        due = self.names.stream(f"{self.kind}:due:{digest}")
        return bool(await self.redis.set(due, b"1", nx=True, px=max(1, int(interval_s * 1000))))

    async def _poll_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.poll_due()
            except Exception:
                log.exception("poller_failed", kind=self.kind)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=min(_TICK_S, self.default_interval_s)
                )
