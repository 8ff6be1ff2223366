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
from shared.pipeline import PIPELINE
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import StreamNames
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


def pipeline_and_webhooks_done(client: redis.Redis, settings: Settings) -> bool:
    """Every stage has taken and acknowledged all it was given (an entry handled twice after
    a lost connection is fine: the store upserts, matching records once), every delivery is
    settled."""
    names = StreamNames(settings.stream_prefix)
    return all(
        group_done(client, names.stream(stage.input), stage.group)
        for stage in PIPELINE
        if stage.name != "webhooks"
    ) and webhooks_done(client, settings)


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


THREE_ALERTS = ("dprk", "russian", "everything")


def add_three_alerts(settings: Settings, receiver: WebhookReceiver) -> None:
    """A query, a language and everything, each with a webhook to the receiver."""
    add_alert_cli(settings, receiver, "dprk", "--q", "Pyongyang")
    add_alert_cli(settings, receiver, "russian", "--language", "ru")
    # Past its rate an alert's matches go out as a digest (tested on its own); here each
    # match is one POST.
    add_alert_cli(settings, receiver, "everything", "--rate", "1000/min")


def assert_each_alert_got_the_store_s_answer_once(
    client: redis.Redis, settings: Settings, receiver: WebhookReceiver, stored: int
) -> None:
    """Each of the three alerts' receivers got exactly what the store returns for the
    alert's query, each article once, signed; the worker's figures and records agree."""
    assert receiver.bad_signatures == 0 and receiver.refused == 0
    assert not receiver.duplicates
    seen = {name: expected_ids(settings, name) for name in THREE_ALERTS}
    assert len(seen["everything"]) == stored
    assert seen["dprk"] and seen["russian"]  # each alert has something to receive
    assert seen["dprk"] != seen["everything"] != seen["russian"]
    for name, ids in seen.items():
        got = receiver.article_ids(name)
        assert sorted(got) == sorted(ids), name  # exactly the store's answer, each once
        assert figures(client, settings, name) == (len(ids), 0)
        assert delivered_records(client, settings, name) == ids
    assert receiver.posts == sum(len(ids) for ids in seen.values())
