"""The Redis connection every part of newsflow opens (stages, client, CLI), and the
consumer groups the stages read through."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.settings import Settings


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
