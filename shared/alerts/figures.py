"""Per-alert counters, in one Redis hash per alert (`<prefix>:alerts:figures:<name>`):

* `matched`: articles recorded for the alert (each once), by the matching stage;
* `delivered`: webhook POSTs the receiver accepted (2xx), by the delivery worker;
* `failed`: webhook deliveries given up on (dead-lettered), by the delivery worker.

Shown by `newsflow status`, `newsflow alerts show` and /metrics (label `alert`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from redis.asyncio import Redis

from shared.alerts.wire import AlertKeys

MATCHED: Final = "matched"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
FIGURES: Final = (MATCHED, DELIVERED, FAILED)


@dataclass(frozen=True)
class AlertFigures:
    alert: str
    matched: int = 0
    delivered: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def start_figures(redis: Redis, keys: AlertKeys, name: str) -> None:
    """Zeros for a new alert, so it is listed before its first match."""
    await redis.hset(keys.figures(name), mapping=dict.fromkeys(FIGURES, 0))


async def read_figures(redis: Redis, keys: AlertKeys, name: str) -> AlertFigures:
    found: Any = await redis.hgetall(keys.figures(name))
    return _figures(name, found)


async def all_figures(redis: Redis, keys: AlertKeys) -> list[AlertFigures]:
    """Every alert with figures, by name (Redis alone: `status` needs no store)."""
    pattern = keys.figures("*")
    head = len(keys.figures(""))
    names = sorted(
        {(key.decode() if isinstance(key, bytes) else key)[head:] async for key in
         redis.scan_iter(match=pattern, count=500)}
    )  # fmt: skip
    return [await read_figures(redis, keys, name) for name in names]


def _figures(name: str, found: dict[Any, Any]) -> AlertFigures:
    def number(field: str) -> int:
        value = found.get(field.encode(), found.get(field))
        return int(value) if value is not None else 0

    return AlertFigures(name, *(number(field) for field in FIGURES))
