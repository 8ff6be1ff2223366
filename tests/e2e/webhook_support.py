"""What the webhook end-to-end tests share: alerts added through the CLI, the expected
deliveries read from the store, and waiting for the worker to be done."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import redis

from services.webhooks.queue import WebhookKeys
from shared.alerts.figures import DELIVERED, FAILED
from shared.alerts.wire import DELIVERY_GROUP, AlertKeys
from shared.settings import Settings
from shared.store.backends import opened_store
from tests.e2e.harness import group_done, stage_env
from tests.webhook_receiver import WebhookReceiver

LOOPBACK_ENV = {"NEWSFLOW_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1"}


def add_alert_cli(
    settings: Settings,
    receiver: WebhookReceiver,
    name: str,
    *options: str,
    url: str | None = None,
    secret: str | None = None,
) -> None:
    """`newsflow alerts add NAME ... --webhook URL --secret S`, as a user runs it."""
    secret = secret or f"{name}-secret-0123456789abcdef"
    env = {**os.environ, **stage_env(settings, **LOOPBACK_ENV)}
    added = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "alerts", "add", name, *options,
         "--webhook", url or receiver.url, "--secret", secret],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr.decode()
    receiver.secrets[name] = secret


def expected_ids(settings: Settings, name: str) -> set[str]:
    """The ids the store returns for the alert's query: what the read side would list."""

    async def ids() -> set[str]:
        async with opened_store(settings) as store:
            alert = await store.get_alert(name)
            assert alert is not None
            return {summary.id async for summary in store.export(alert.query.article_query())}

    return asyncio.run(ids())


def webhooks_done(client: redis.Redis, settings: Settings) -> bool:
    """The queue read and acknowledged, nothing scheduled, held or being sent."""
    keys = AlertKeys(settings.stream_prefix)
    hooks = WebhookKeys(settings.stream_prefix)
    try:
        if not group_done(client, keys.deliveries, DELIVERY_GROUP):
            return False
    except redis.ResponseError:
        return False
    held = list(client.scan_iter(match=hooks.held("*")))
    return not client.zcard(hooks.retries) and not client.zcard(hooks.digests) and not held


def figures(client: redis.Redis, settings: Settings, name: str) -> tuple[int, int]:
    found: Any = client.hgetall(AlertKeys(settings.stream_prefix).figures(name))
    return int(found.get(DELIVERED.encode(), 0)), int(found.get(FAILED.encode(), 0))


def delivered_records(client: redis.Redis, settings: Settings, name: str) -> set[str]:
    """The worker's own records: (alert, article) pairs the receiver accepted."""
    head = WebhookKeys(settings.stream_prefix).delivered(name, "")
    return {
        key.decode()[len(head):] for key in client.scan_iter(match=f"{head}*", count=1000)
    }  # fmt: skip
