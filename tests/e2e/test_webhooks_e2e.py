"""Webhook delivery as a user runs it: the stages as processes, alerts added with
`newsflow alerts add`, and a receiver on 127.0.0.1 that checks every signature and dedups on
Idempotency-Key.

The receiver's outage is NEWSFLOW_TEST_WEBHOOK_OUTAGE_S seconds (8 by default, so CI stays
quick; the issue's 30 s: `NEWSFLOW_TEST_WEBHOOK_OUTAGE_S=30 pytest -k outage`)."""

from __future__ import annotations

import gzip
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from shared.alerts.wire import AlertKeys
from shared.settings import Settings
from shared.streams import StreamNames, encode_json
from tests.api.articles import enriched
from tests.conftest import FIXTURES, SEED
from tests.e2e.fetcher_support import dead_letters
from tests.e2e.harness import running_stages, stored_count, wait_until
from tests.e2e.webhook_support import (
    LOOPBACK_ENV,
    add_alert_cli,
    add_three_alerts,
    assert_each_alert_got_the_store_s_answer_once,
    delivered_records,
    figures,
    pipeline_and_webhooks_done,
    webhooks_done,
)
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

OUTAGE_S = float(os.environ.get("NEWSFLOW_TEST_WEBHOOK_OUTAGE_S", "8"))
CORPUS_PAGES = sorted((FIXTURES / "html").glob("*.html.gz"))
# Retries that outlive the outage: the fixed half of each wait sums past it.
RETRYING = {
    **LOOPBACK_ENV,
    "NEWSFLOW_WEBHOOK_BACKOFF_BASE_S": "1",
    "NEWSFLOW_WEBHOOK_MAX_BACKOFF_S": "4",
    "NEWSFLOW_WEBHOOK_MAX_ATTEMPTS": str(int(OUTAGE_S // 2) + 6),
    "NEWSFLOW_WEBHOOK_TIMEOUT_S": "2",
}


def test_three_alerts_get_exactly_what_the_store_returns_for_their_query_each_once(
    settings: Settings, client: redis.Redis, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    """The seed and the real pages in tests/fixtures (the 200 of the corpus:
    test_corpus_e2e.py)."""
    files = CORPUS_PAGES
    add_three_alerts(settings, receiver)
    names = StreamNames(settings.stream_prefix)
    with running_stages(settings, tmp_path / "logs", **LOOPBACK_ENV):
        client.xadd(names.raw, {"content": SEED.read_text(), "source": "UNN"})
        for page in files:
            client.xadd(names.raw, {"content": gzip.decompress(page.read_bytes()),
                                    "content_type": "text/html", "source": page.stem})  # fmt: skip
        published = 1 + len(files)
        wait_until(
            lambda: pipeline_and_webhooks_done(client, settings),
            600,
            "every article enriched, stored, matched and delivered",
        )
        assert dead_letters(client, settings) == []
        assert stored_count(settings) == published
    assert_each_alert_got_the_store_s_answer_once(client, settings, receiver, published)


def _publish_enriched(client: redis.Redis, settings: Settings, ids: list[str]) -> None:
    names = StreamNames(settings.stream_prefix)
    for article_id in ids:
        event = enriched(article_id, title=f"Troops {article_id}", text="Troops moved today.",
                         published_at=datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
        client.xadd(names.enriched, encode_json(event.to_json()))  # type: ignore[arg-type]


def _alerts_lag(client: redis.Redis, settings: Settings) -> int:
    names = StreamNames(settings.stream_prefix)
    info: Any = next(
        g for g in client.xinfo_groups(names.enriched) if g["name"] in (b"alerts", "alerts")
    )
    return int(info["lag"] or 0) + int(info["pending"])


def test_a_receiver_down_for_a_while_gets_everything_once_and_matching_never_waits(
    settings: Settings, client: redis.Redis, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    add_alert_cli(settings, receiver, "troops", "--q", "troops")
    add_alert_cli(settings, receiver, "everything")
    with running_stages(settings, tmp_path / "logs", ("alerts", "webhooks"), **RETRYING):
        receiver.fail_for(OUTAGE_S)
        outage_ends = receiver.failing_until
        ids = [f"art-{n:03d}" for n in range(30)]
        lags: list[int] = []
        # Articles keep coming during the outage; matching keeps up with each batch while
        # the receiver is still answering 500.
        for batch in range(3):
            _publish_enriched(client, settings, ids[batch * 10 : (batch + 1) * 10])
            wait_until(lambda: _alerts_lag(client, settings) == 0, OUTAGE_S, "matching")
            lags.append(_alerts_lag(client, settings))
            assert time.monotonic() < outage_ends, "matching waited for the receiver"
            time.sleep(OUTAGE_S / 8)
        assert receiver.refused >= 1 and not receiver.processed
        wait_until(lambda: len(receiver.processed) == 60 and webhooks_done(client, settings),
                   OUTAGE_S + 60, "every delivery after the receiver recovered")  # fmt: skip
    assert max(lags) == 0
    assert not receiver.duplicates and receiver.bad_signatures == 0
    for name in ("troops", "everything"):
        assert sorted(receiver.article_ids(name)) == ids
        assert figures(client, settings, name) == (30, 0)
    assert client.xlen(StreamNames(settings.stream_prefix).dlq) == 0
    # One POST per alert per backoff while it was down, not one per delivery.
    print(f"outage {OUTAGE_S}s: {receiver.refused} POSTs refused, {receiver.posts} in all")
    assert receiver.refused < 60


def test_sigkill_of_the_delivering_process_loses_nothing_and_records_each_once(
    settings: Settings, client: redis.Redis, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    add_alert_cli(settings, receiver, "everything")
    receiver.delay_s = 0.25  # slow enough to be killed mid-POST
    env = {**RETRYING, "NEWSFLOW_WEBHOOK_CONCURRENCY": "2"}
    with running_stages(settings, tmp_path / "logs", ("alerts", "webhooks"), **env) as procs:
        ids = [f"art-{n:03d}" for n in range(30)]
        _publish_enriched(client, settings, ids)
        wait_until(lambda: len(receiver.processed) >= 6, 60, "the first deliveries")
        procs.kill_stage("webhooks")  # SIGKILL, POSTs in flight
        at_kill = len(receiver.processed)
        assert at_kill < 30
        procs.start_stage("webhooks")
        wait_until(lambda: len(receiver.processed) == 30 and webhooks_done(client, settings),
                   90, "every delivery after the restart")  # fmt: skip
    assert sorted(receiver.article_ids("everything")) == ids  # nothing lost
    # The stage's own records: each (alert, article) delivered once.
    assert figures(client, settings, "everything") == (30, 0)
    assert delivered_records(client, settings, "everything") == set(ids)
    # At-least-once: only POSTs in flight at the kill can reach the receiver again (it
    # drops them by Idempotency-Key); concurrency is 2.
    print(f"killed after {at_kill} deliveries; receiver dropped {receiver.duplicates.total()}")
    assert receiver.duplicates.total() <= 2
    assert client.xlen(StreamNames(settings.stream_prefix).dlq) == 0
    assert client.xlen(AlertKeys(settings.stream_prefix).stream("everything")) == 30


def test_no_webhook_secret_nor_url_token_reaches_the_logs_or_the_dlq(
    settings: Settings, client: redis.Redis, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    secret, token = "Sec-7d1e-never-logged-0123", "Tok-5b2a-never-logged"
    add_alert_cli(settings, receiver, "kp", url=f"{receiver.url}/{token}", secret=secret)
    logs = tmp_path / "logs"
    env = {**RETRYING, "NEWSFLOW_LOG_LEVEL": "DEBUG"}
    with running_stages(settings, logs, ("alerts", "webhooks"), **env):
        receiver.fail_for(1.5)  # retries (warnings), then a 404 (a dead letter)
        _publish_enriched(client, settings, ["art-1", "art-2"])
        wait_until(lambda: len(receiver.processed) == 2, 60, "the deliveries")
        receiver.status = 404
        _publish_enriched(client, settings, ["art-3"])
        dlq = StreamNames(settings.stream_prefix).dlq
        wait_until(lambda: client.xlen(dlq) == 1, 60, "the dead letter")
    written = "\n".join(log.read_text(errors="replace") for log in logs.glob("*.log"))
    assert "will_retry" in written and "dead_lettered" in written and "delivered" in written
    for hidden in (secret, token):
        assert hidden not in written
        assert not any(hidden.encode() in str(entry).encode() for entry in client.xrange(dlq))
