"""Seen-sets in Redis: one key per remembered item, expiring on its own.

A key per item (rather than one big set) lets each item expire at its own time with no
sweeping, and `SET NX EX` can answer "first time?" and remember in one atomic step (the
feed poller does so in the script that also publishes the item).
"""

from __future__ import annotations

import hashlib
from typing import Any

from redis.asyncio import Redis

from shared.streams import StreamNames


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


class SeenSet:
    def __init__(self, redis: Redis, names: StreamNames, kind: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = names.stream(f"seen:{kind}")
        self.ttl_s = ttl_s

    def key(self, value: str) -> str:
        return f"{self.prefix}:{_digest(value)}"

    async def contains(self, value: str, *, unless_owner: str = "") -> bool:
        """Whether `value` was remembered, by anyone but `unless_owner`: an entry that
        remembered its URL and then failed before it was acknowledged is redelivered, and
        must not find its own mark and skip the article."""
        if self.ttl_s <= 0:
            return False
        owner: Any = await self.redis.get(self.key(value))
        if owner is None:
            return False
        marked_by = owner.decode(errors="replace") if isinstance(owner, bytes) else str(owner)
        return not (unless_owner and marked_by == unless_owner)

    async def remember(self, *values: str, owner: str = "") -> None:
        if self.ttl_s <= 0 or not values:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for value in values:
                pipe.set(self.key(value), (owner or "1").encode(), ex=self.ttl_s)
            await pipe.execute()
