"""The delivery worker in the test's process, on real Redis, a real SQLite store and a real
receiver on 127.0.0.1: the same handler and the same `Delivery` (ack, dead letters) the
stage runs, driven entry by entry so a test can follow each one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from services.webhooks.alert_book import AlertBook
from services.webhooks.deliverer import WebhookDeliverer
from services.webhooks.post import make_webhook_client
from services.webhooks.stage import policy_of, queue_of
from shared.alerts.catalog import add_alert
from shared.alerts.definition import AlertDefinition
from shared.alerts.figures import read_figures
from shared.alerts.wire import DELIVERY_GROUP, AlertKeys, AlertMatch, idempotency_key
from shared.delivery import Delivery
from shared.pipeline import stage_named
from shared.redis_connection import ensure_group
from shared.settings import Settings
from shared.ssrf import parse_allow_list
from shared.store.article_store import ArticleStore
from shared.store.backends import opened_store
from tests.webhook_receiver import WebhookReceiver

LOOPBACK = parse_allow_list("127.0.0.1")


@dataclass
class Clock:
    """Wall time plus an offset a test can move forward (rate windows)."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Rig:
    settings: Settings
    redis: Redis
    store: ArticleStore
    receiver: WebhookReceiver
    deliverer: WebhookDeliverer
    delivery: Delivery
    clock: Clock
    keys: AlertKeys
    consumer: str = "test-worker"
    handled: list[bytes] = field(default_factory=list)

    async def add(self, name: str, *, rate: int = 60, url: str | None = None) -> AlertDefinition:
        secret = f"secret-of-{name}-0123456789"
        alert = AlertDefinition.checked(
            name=name, query={"q": "anything"}, rate_per_minute=rate,
            webhook={"url": url or self.receiver.url, "secret": secret},
        )  # fmt: skip
        await add_alert(self.store, self.redis, self.keys, alert, webhook_allow=LOOPBACK)
        self.receiver.secrets[name] = secret
        return alert

    async def publish(self, alert: str, article_id: str) -> AlertMatch:
        """What the matching stage XADDs for a match with a webhook."""
        match = AlertMatch(
            alert=alert, article_id=article_id, title=f"title {article_id}",
            url=f"https://example.org/{article_id}", source="UNN",
            matched_at=datetime.now(UTC), idempotency_key=idempotency_key(alert, article_id),
        )  # fmt: skip
        await self.redis.xadd(self.keys.deliveries, match.entry())  # type: ignore[arg-type]
        return match

    async def step(self) -> int:
        """Move due retries/digests, then handle every new entry once; how many."""
        await self.deliverer.queue.move_due(self.redis, self.clock())
        found: Any = await self.redis.xreadgroup(
            DELIVERY_GROUP, self.consumer, {self.keys.deliveries: ">"}, count=100
        )
        entries = [entry for _stream, batch in found for entry in batch]
        await asyncio.gather(
            *(self.delivery.process(entry_id, fields, delivery_count=1)
              for entry_id, fields in entries)
        )  # fmt: skip
        self.handled += [entry_id for entry_id, _ in entries]
        return len(entries)

    async def run_until(
        self, condition: Callable[[], Awaitable[bool]], within_s: float, what: str
    ) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            await self.step()
            if await condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out after {within_s}s waiting for {what}")

    async def figures(self, alert: str) -> tuple[int, int]:
        found = await read_figures(self.redis, self.keys, alert)
        return found.delivered, found.failed


@asynccontextmanager
async def webhook_rig(settings: Settings, redis: Redis, **overrides: Any) -> AsyncIterator[Rig]:
    allow = parse_allow_list(overrides.pop("allow", "127.0.0.1"))
    settings = settings.model_copy(
        update={
            "webhook_backoff_base_s": 0.2, "webhook_max_backoff_s": 1.0,
            "webhook_max_attempts": 5, "webhook_timeout_s": 2.0, **overrides,
        }
    )  # fmt: skip
    keys = AlertKeys(settings.stream_prefix)
    receiver = WebhookReceiver({}).start()
    clock = Clock()
    await ensure_group(redis, keys.deliveries, DELIVERY_GROUP)
    try:
        async with (
            opened_store(settings) as store,
            make_webhook_client(allow, settings.webhook_timeout_s) as client,
        ):
            deliverer = WebhookDeliverer(
                AlertBook(store, redis, keys), redis, queue_of(settings), client,
                policy_of(settings), clock=clock,
            )  # fmt: skip

            async def handle(fields: Any) -> Any:
                return await deliverer.handle(fields)

            delivery = Delivery(
                stage_named("webhooks"), handle, settings, redis, gate=None,
                stopping=asyncio.Event(),
            )  # fmt: skip
            yield Rig(settings, redis, store, receiver, deliverer, delivery, clock, keys)
    finally:
        receiver.stop()
