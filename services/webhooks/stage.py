"""The webhook delivery worker: what it opens when it starts (the store its alerts are read
from, a Redis connection, the SSRF-guarded HTTP client), the deliverer built on them, and
the scheduler that puts due retries and digests back on the queue while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from redis.asyncio import Redis

from services.webhooks.alert_book import AlertBook
from services.webhooks.deliverer import DeliveryPolicy, WebhookDeliverer
from services.webhooks.post import make_webhook_client
from services.webhooks.queue import WebhookQueue
from shared.alerts.webhook_guard import webhook_allow_list
from shared.alerts.wire import AlertKeys
from shared.delivery import Forward
from shared.logs import get_logger
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.stage_app import StageWork
from shared.store.backends import opened_store
from shared.streams import Fields, StreamNames

# How often due retries and digests are looked for: a retry is late by this much at most.
SCHEDULER_INTERVAL_S: Final = 0.25

log = get_logger("newsflow.webhooks")


def policy_of(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        timeout_s=settings.webhook_timeout_s,
        max_attempts=settings.webhook_max_attempts,
        backoff_base_s=settings.webhook_backoff_base_s,
        max_backoff_s=settings.webhook_max_backoff_s,
        dlq_max_payload_bytes=settings.dlq_max_payload_bytes,
        dlq_max_length=settings.dlq_max_length,
        # A quarter of the slots: one slow receiver leaves three quarters to the others.
        posts_per_alert=max(1, settings.webhook_concurrency // 4),
    )


def queue_of(settings: Settings) -> WebhookQueue:
    return WebhookQueue(
        AlertKeys(settings.stream_prefix),
        settings.alert_seen_ttl_s,
        StreamNames(settings.stream_prefix).dlq,
    )


@asynccontextmanager
async def open_webhooks(settings: Settings) -> AsyncIterator[StageWork]:
    keys = AlertKeys(settings.stream_prefix)
    queue = queue_of(settings)
    allow = webhook_allow_list(settings.webhook_allow_networks)
    redis = redis_client(settings)
    try:
        async with (
            opened_store(settings) as store,
            make_webhook_client(allow, settings.webhook_timeout_s) as client,
        ):
            deliverer = WebhookDeliverer(
                AlertBook(store, redis, keys), redis, queue, client, policy_of(settings)
            )

            async def handle(fields: Fields) -> Forward | None:
                return await deliverer.handle(fields)  # type: ignore[arg-type]

            scheduling = asyncio.create_task(_schedule_forever(redis, queue), name="webhooks")
            try:
                yield StageWork(handle, ready_checks={"database": store.ping})
            finally:
                scheduling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await scheduling
    finally:
        await redis.aclose()


async def _schedule_forever(redis: Redis, queue: WebhookQueue) -> None:
    """Every replica runs this; each move is one Lua script, so a retry or a digest is put
    back once however many replicas see it due."""
    while True:
        try:
            await queue.move_due(redis, time.time())
        except Exception:
            log.exception("webhook_scheduler_failed")
        await asyncio.sleep(SCHEDULER_INTERVAL_S)
