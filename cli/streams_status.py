"""What `newsflow status` shows: per stage, its input stream and consumer group."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.streams import STAGES, StreamNames


@dataclass(frozen=True)
class StageStatus:
    stage: str
    stream: str
    length: int
    group_exists: bool
    lag: int | None
    pending: int
    consumers: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PipelineStatus:
    stages: list[StageStatus]
    enriched_length: int
    dlq_length: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "stages": [s.as_dict() for s in self.stages],
            "enriched_length": self.enriched_length,
            "dlq_length": self.dlq_length,
        }


async def pipeline_status(redis: Redis, names: StreamNames) -> PipelineStatus:
    stages = []
    for stage in STAGES:
        stream = names.input_of(stage)
        length = int(await redis.xlen(stream))
        group: dict[Any, Any] | None = None
        try:
            for info in await redis.xinfo_groups(stream):
                name = info["name"]
                if (name.decode() if isinstance(name, bytes) else name) == names.group_of(stage):
                    group = info
        except ResponseError:
            group = None  # the stream does not exist yet
        stages.append(
            StageStatus(
                stage=stage,
                stream=stream,
                length=length,
                group_exists=group is not None,
                lag=int(group["lag"]) if group and group.get("lag") is not None else None,
                pending=int(group["pending"]) if group else 0,
                consumers=int(group["consumers"]) if group else 0,
            )
        )
    return PipelineStatus(
        stages=stages,
        enriched_length=int(await redis.xlen(names.enriched)),
        dlq_length=int(await redis.xlen(names.dlq)),
    )
