"""How much work waits on a stream, and waiting until there is room for more.

The backlog of a stream is what its consuming group has not finished: entries not yet
delivered (lag) plus entries delivered but not acknowledged (pending). Producers (the
CLI's publish, and each stage before forwarding) wait while it is over the limit, so a
slow stage slows the ones before it instead of growing Redis without bound.

A stream can have readers beside the next stage of the chain (the alerts stage reads the
enriched stream beside the sink). Such a side reader holds its producer back too, but only
while one of its consumers is live (got entries within `LIVE_WITHIN_S`): a slow alerts
stage slows the enricher, a stopped one does not stop storage. (The stream keeps what a
stopped group has not read; `newsflow status` shows that group's lag.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import ResponseError

# A side reader's consumer idle this long is taken for stopped (or stuck). Redis 7.0 counts
# idle time from the consumer's last read that got entries (7.2 from its last attempt): a
# reader that is behind gets entries at every read, so a live one is never idle this long.
LIVE_WITHIN_S: Final = 60.0


async def stream_backlog(
    redis: Redis,
    stream: str,
    group: str,
    side_groups: Sequence[str] = (),
    live_within_s: float = LIVE_WITHIN_S,
) -> int:
    """The backlog of `group`, or the largest of a side reader's in `side_groups` that has a
    live consumer, from one read of the stream's groups."""
    try:
        found: Any = await redis.xinfo_groups(stream)
    except ResponseError:
        return 0  # no stream yet: nothing waits
    groups = {_name(info["name"]): info for info in found}
    reader = groups.get(group)
    # Nobody consumes it yet: everything in it waits.
    backlog = await _group_backlog(redis, stream, reader) if reader else await redis.xlen(stream)
    for side in side_groups:
        info = groups.get(side)
        if info is not None and await _is_live(redis, stream, side, live_within_s):
            backlog = max(backlog, await _group_backlog(redis, stream, info))
    return int(backlog)


def _name(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _group_backlog(redis: Redis, stream: str, info: Any) -> int:
    lag = info.get("lag")
    if lag is None:
        # Redis cannot tell the lag once entries were deleted mid-stream; the stream's
        # length is an upper bound.
        lag = await redis.xlen(stream)
    return int(lag) + int(info["pending"])


async def _is_live(redis: Redis, stream: str, group: str, live_within_s: float) -> bool:
    consumers: Any = await redis.xinfo_consumers(stream, group)
    return any(c["idle"] < live_within_s * 1000 for c in consumers)


class RoomGate:
    """Waits while a stream's backlog is at `limit`. Between checks (at most every `poll_s`)
    it counts what passed, so a burst cannot overshoot the room the last check found."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        group: str,
        limit: int,
        poll_s: float = 0.5,
        *,
        side_groups: Sequence[str] = (),
        live_within_s: float = LIVE_WITHIN_S,
    ):
        self.redis = redis
        self.stream = stream
        self.group = group
        self.limit = limit
        self.poll_s = poll_s
        self.side_groups = tuple(side_groups)
        self.live_within_s = live_within_s
        self._checked_at = 0.0
        self._room = 0

    async def wait(
        self, cancelled: asyncio.Event | None = None, timeout_s: float | None = None
    ) -> float | None:
        """Take one place; return the seconds spent waiting for it (0 when there was room),
        or None when `cancelled` was set while waiting (shutdown) or `timeout_s` passed
        without room (a caller that cannot wait long: an HTTP request)."""
        now = time.monotonic()
        if self._room > 0 and now - self._checked_at < self.poll_s:
            self._room -= 1
            return 0.0
        started = now
        while True:
            self._checked_at = time.monotonic()
            backlog = await stream_backlog(
                self.redis, self.stream, self.group, self.side_groups, self.live_within_s
            )
            self._room = self.limit - backlog
            if self._room > 0:
                self._room -= 1
                return time.monotonic() - started
            pause = self.poll_s
            if timeout_s is not None:
                left = timeout_s - (time.monotonic() - started)
                if left <= 0:
                    return None
                pause = min(pause, left)
            if cancelled is None:
                await asyncio.sleep(pause)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(cancelled.wait(), timeout=pause)
            if cancelled.is_set():
                return None
