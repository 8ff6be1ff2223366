"""The alerts stage SIGKILLed again and again while it matches 710 enriched articles, and
restarted each time: in the end each alert's stream holds every article its query matches
exactly once, its queued webhook deliveries likewise, and its `matched` figure says so."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
import redis

from shared.alerts.catalog import add_alert
from shared.alerts.definition import AlertDefinition
from shared.alerts.wire import AlertKeys, AlertMatch
from shared.settings import Settings
from shared.ssrf import parse_allow_list
from shared.store.backends import opened_store
from shared.streams import StreamNames, encode_json
from tests.e2e.harness import group_done, running_stages, wait_until
from tests.integration.alerts.support import enriched_events

pytestmark = pytest.mark.e2e

COPIES = 10
ALERTS = [
    AlertDefinition.checked(
        name="police",
        query={"q": "police OR court", "tone_max": 5},
        webhook={"url": "https://hooks.example.org/in", "secret": "a-secret-of-the-test"},
    ),
    AlertDefinition.checked(name="us", query={"countries": ["US"]}),
    AlertDefinition.checked(name="rehab", query={"q": "rehab -Lohan"}),
]


def add_alerts(settings: Settings) -> None:
    async def add() -> None:
        keys = AlertKeys(settings.stream_prefix)
        client = redis.asyncio.Redis.from_url(settings.redis_url.get_secret_value())
        async with opened_store(settings) as store:
            for alert in ALERTS:
                await add_alert(
                    store, client, keys, alert,
                    webhook_allow=parse_allow_list("hooks.example.org"),
                )  # fmt: skip
        await client.aclose()

    asyncio.run(add())


def test_kills_lose_and_duplicate_no_match(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    from services.alerts.matching import compile_alerts, matching_alerts

    names = StreamNames(settings.stream_prefix)
    keys = AlertKeys(settings.stream_prefix)
    base = enriched_events()
    events = [
        event.model_copy(update={"id": f"{event.id[:24]}-{copy}"})
        for copy in range(COPIES)
        for event in base
    ]
    compiled = compile_alerts(ALERTS)
    expected: dict[str, list[str]] = {alert.name: [] for alert in ALERTS}
    for event in events:
        for found in matching_alerts(compiled, event):
            expected[found.name].append(event.id)
    assert all(expected.values())
    add_alerts(settings)
    pipe = client.pipeline(transaction=False)
    for event in events:
        pipe.xadd(names.enriched, encode_json(event.to_json()))
    pipe.execute()

    rng = random.Random(3)
    kills = 0
    with running_stages(settings, tmp_path / "logs", ("alerts",), NEWSFLOW_BATCH_SIZE="4") as procs:
        while kills < 4 and not group_done(client, names.enriched, "alerts"):
            time.sleep(rng.uniform(0.3, 1.2))
            procs.kill_stage("alerts")
            kills += 1
            procs.start_stage("alerts")
        wait_until(lambda: group_done(client, names.enriched, "alerts"), 120, "every entry")
    assert kills >= 2, "the stage finished before it could be killed: nothing was tested"
    for alert in ALERTS:
        streamed = [
            AlertMatch.from_entry(f).article_id for _id, f in client.xrange(keys.stream(alert.name))
        ]
        assert sorted(streamed) == sorted(expected[alert.name]), alert.name
        assert int(client.hget(keys.figures(alert.name), "matched") or 0) == len(streamed)
    queued = [AlertMatch.from_entry(f) for _id, f in client.xrange(keys.deliveries)]
    assert sorted(m.article_id for m in queued) == sorted(expected["police"])
    assert {m.alert for m in queued} == {"police"}
