"""Housekeeping a stage does on its input stream between entries: trimming acknowledged
history, forgetting consumers that are gone, exporting the stream's state as metrics."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from shared import metrics
from shared.pipeline import PipelineStage
from shared.pipeline_status import stage_status
from shared.settings import Settings
from shared.streams import StreamNames

# Consumers that left nothing pending are forgotten after this long, so restarts (each
# process is a new consumer) don't grow the group's consumer list forever.
FORGET_IDLE_CONSUMER_MS = 3_600_000


def stream_id(value: bytes | str) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


async def trim_acknowledged(redis: Redis, stream: str, retain_s: int) -> int:
    """Drop acknowledged history older than `retain_s`. Every group reading the stream
    counts (users' `subscribe --group` too): nothing at or after a group's oldest pending
    entry, or after its last delivered one, is ever removed."""
    groups: Any = await redis.xinfo_groups(stream)
    if not groups:
        return 0
    floors: list[tuple[int, int]] = []
    for group in groups:
        if int(group["pending"]) > 0:
            summary: Any = await redis.xpending(stream, group["name"])
            floors.append(stream_id(summary["min"]))
        else:
            floors.append(stream_id(group["last-delivered-id"]))
    retention_floor = (int(time.time() * 1000) - retain_s * 1000, 0)
    floor = min([*floors, retention_floor])
    if floor <= (0, 0):
        return 0
    removed: Any = await redis.xtrim(stream, minid=f"{floor[0]}-{floor[1]}", approximate=False)
    return int(removed)


async def trim_dead_letters(redis: Redis, dlq: str, settings: Settings) -> int:
    """Drop dead letters older than `dlq_retain_s`, then the oldest past `dlq_max_length`
    (0: no limit for either). Every stage does it; running it twice is harmless."""
    removed = 0
    if settings.dlq_retain_s > 0:
        floor_ms = int(time.time() * 1000) - settings.dlq_retain_s * 1000
        removed += int(await redis.xtrim(dlq, minid=f"{floor_ms}-0", approximate=False))
    if settings.dlq_max_length > 0:
        removed += int(await redis.xtrim(dlq, maxlen=settings.dlq_max_length, approximate=False))
    return removed


# The check and the delete in one script: between an XINFO read and an XGROUP DELCONSUMER
# the consumer could read an entry, which the delete would drop from the group's pending
# list (lost, if that consumer then died with it in hand).
_FORGET_IDLE_CONSUMERS = """
local forgotten = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
    local field = {}
    for i = 1, #consumer, 2 do field[consumer[i]] = consumer[i + 1] end
    if field['name'] ~= ARGV[2] and tonumber(field['pending']) == 0
            and tonumber(field['idle']) > tonumber(ARGV[3]) then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], field['name'])
        forgotten = forgotten + 1
    end
end
return forgotten
"""


async def forget_idle_consumers(
    redis: Redis, stream: str, group: str, *, keep: str, idle_ms: int = FORGET_IDLE_CONSUMER_MS
) -> int:
    """Forgets the group's consumers with nothing pending and idle over `idle_ms` (gone:
    an earlier process's name), so the group's list does not grow with every restart;
    returns how many."""
    script: Any = redis.register_script(_FORGET_IDLE_CONSUMERS)
    return int(await script(keys=[stream], args=[group, keep, idle_ms]))


_FORGET_CONSUMER_IF_DONE = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) + 1
"""


async def forget_consumer_if_done(redis: Redis, stream: str, group: str, consumer: str) -> bool:
    """A stage stopping with nothing pending leaves the group's list (`newsflow status`
    would show it for an hour, a replica scaled away included); with entries pending it
    stays, for another consumer to take them over. True when it was forgotten."""
    script: Any = redis.register_script(_FORGET_CONSUMER_IF_DONE)
    return bool(await script(keys=[stream], args=[group, consumer]))


async def export_stream_metrics(redis: Redis, names: StreamNames, stage: PipelineStage) -> None:
    status = await stage_status(redis, names, stage)
    label = stage.name
    metrics.STREAM_LENGTH.labels(label).set(status.length)
    metrics.GROUP_LAG.labels(label).set(status.lag if status.lag is not None else status.length)
    metrics.GROUP_PENDING.labels(label).set(status.pending)
    metrics.DLQ_LENGTH.set(int(await redis.xlen(names.dlq)))
