"""The state of the pipeline as Redis knows it: per stage, its input stream and group, its
consumers and its recent throughput; the dead letters by reason. `newsflow status` shows it
and each stage exports its own part as metrics."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.alerts.figures import AlertFigures, all_figures
from shared.alerts.wire import AlertKeys
from shared.pipeline import PIPELINE, PipelineStage
from shared.streams import StreamNames

THROUGHPUT_WINDOW_S = 60
_DLQ_SCAN_LIMIT = 100_000


def throughput_key(names: StreamNames, stage: str, second: int) -> str:
    """Per-second counter of entries a stage finished (kept two minutes)."""
    return names.stream(f"throughput:{stage}:{second}")


@dataclass(frozen=True)
class ConsumerStatus:
    name: str
    pending: int
    idle_s: float


@dataclass(frozen=True)
class StageStatus:
    stage: str
    stream: str
    length: int
    group_exists: bool
    lag: int | None
    pending: int
    consumers: list[ConsumerStatus] = field(default_factory=list)
    per_minute: int = 0

    @property
    def per_second(self) -> float:
        return self.per_minute / THROUGHPUT_WINDOW_S


@dataclass(frozen=True)
class PipelineStatus:
    stages: list[StageStatus]
    enriched_length: int
    dlq_length: int
    dlq_by_reason: dict[str, int]
    alerts: list[AlertFigures] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stages": [{**asdict(s), "per_second": round(s.per_second, 2)} for s in self.stages],
            "enriched_length": self.enriched_length,
            "dlq_length": self.dlq_length,
            "dlq_by_reason": self.dlq_by_reason,
            "alerts": [figures.as_dict() for figures in self.alerts],
        }


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def stage_status(
    redis: Redis,
    names: StreamNames,
    stage: PipelineStage,
    *,
    with_consumers: bool = False,
    with_throughput: bool = False,
) -> StageStatus:
    stream = names.stream(stage.input)
    length = int(await redis.xlen(stream))
    group: dict[Any, Any] | None = None
    try:
        groups: Any = await redis.xinfo_groups(stream)
    except ResponseError:
        groups = []  # the stream does not exist yet
    for info in groups:
        if _text(info["name"]) == stage.group:
            group = info
    consumers: list[ConsumerStatus] = []
    if group is not None and with_consumers:
        found: Any = await redis.xinfo_consumers(stream, stage.group)
        consumers = [
            ConsumerStatus(_text(c["name"]), int(c["pending"]), int(c["idle"]) / 1000)
            for c in found
        ]
    per_minute = 0
    if with_throughput:
        now = int(time.time())
        counts: Any = await redis.mget(
            [throughput_key(names, stage.name, s) for s in range(now - THROUGHPUT_WINDOW_S, now)]
        )
        per_minute = sum(int(c) for c in counts if c is not None)
    return StageStatus(
        stage=stage.name,
        stream=stream,
        length=length,
        group_exists=group is not None,
        lag=int(group["lag"]) if group and group.get("lag") is not None else None,
        pending=int(group["pending"]) if group else 0,
        consumers=consumers,
        per_minute=per_minute,
    )


async def dlq_reasons(redis: Redis, names: StreamNames) -> dict[str, int]:
    counts: dict[str, int] = {}
    entries: Any = await redis.xrange(names.dlq, count=_DLQ_SCAN_LIMIT)
    for _entry_id, fields in entries:
        try:
            letter = orjson.loads(fields[b"data"])
            key = f"{letter['stage']}:{letter['reason']}"
        except (KeyError, TypeError, orjson.JSONDecodeError):
            key = "unreadable"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


async def pipeline_status(redis: Redis, names: StreamNames) -> PipelineStatus:
    return PipelineStatus(
        stages=[
            await stage_status(redis, names, s, with_consumers=True, with_throughput=True)
            for s in PIPELINE
        ],
        enriched_length=int(await redis.xlen(names.enriched)),
        dlq_length=int(await redis.xlen(names.dlq)),
        dlq_by_reason=await dlq_reasons(redis, names),
        alerts=await all_figures(redis, AlertKeys(names.prefix)),
    )
