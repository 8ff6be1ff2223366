"""The alerts stage: the store (where the alerts are kept) and a Redis connection opened
when the stage starts, the matcher built on them, and the per-alert figures exported to
/metrics while it runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from services.alerts.matching import AlertMatcher
from services.alerts.records import MatchRecords
from shared import metrics
from shared.alerts.figures import all_figures
from shared.alerts.wire import AlertKeys
from shared.delivery import Forward
from shared.logs import get_logger
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.store.backends import opened_store
from shared.streams import Fields

log = get_logger("newsflow.alerts")


@asynccontextmanager
async def open_alerts(settings: Settings) -> AsyncIterator[StageWork]:
    keys = AlertKeys(settings.stream_prefix)
    records = MatchRecords(keys, settings.alert_seen_ttl_s, settings.alert_stream_max_length)
    redis = redis_client(settings)
    try:
        async with opened_store(settings) as store:
            matcher = AlertMatcher(store, redis, keys, records)

            async def handle(fields: Fields) -> Forward | None:
                return await matcher.handle_entry(fields)

            exporting = asyncio.create_task(
                _export_figures(redis, keys, settings.claim_interval_s), name="alert-figures"
            )
            try:
                yield StageWork(handle, ready_checks={"database": store.ping})
            finally:
                exporting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await exporting
    finally:
        await redis.aclose()


async def _export_figures(redis: Redis, keys: AlertKeys, every_s: float) -> None:
    """The figures are counters in Redis shared by every replica and the delivery worker;
    /metrics shows them as gauges of those totals."""
    while True:
        try:
            for figures in await all_figures(redis, keys):
                metrics.ALERT_MATCHED.labels(figures.alert).set(figures.matched)
                metrics.ALERT_DELIVERED.labels(figures.alert).set(figures.delivered)
                metrics.ALERT_FAILED.labels(figures.alert).set(figures.failed)
        except Exception:
            log.exception("alert_figures_failed")
        await asyncio.sleep(max(every_s, 1.0))
