"""What an operator sees of a running pipeline: `newsflow status` and `newsflow trace`, each
service's /metrics and /health endpoints, and the dashboard's metrics in the services' output.

One run of 500 articles (499 short plain texts and one page the fetcher downloads from a
loopback server) through the four stage processes, each with its own HTTP port, is observed
once by the `flow` fixture; the tests below check what was seen. Redis going away and coming
back is a test of its own, on a private Redis (test_readiness_follows_redis.py).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pytest
import redis

from shared.events import RawSubmission, article_id_for_url
from shared.pipeline import ARTICLE_FLOW
from shared.settings import Settings
from shared.streams import STAGES, StreamNames
from shared.urls import normalize_url
from tests.e2e.harness import serving_stages, stage_env, stored_count, wait_until
from tests.e2e.operations_support import (
    FETCH_ENV,
    Samples,
    forwarded,
    newsflow,
    page_server,
    publish,
    scrape,
    sink_settled,
    text_article,
    value,
)
from tests.test_monitoring import dashboard_exprs, grouping_labels, metric_names

pytestmark = pytest.mark.e2e

ARTICLES = 500
FIRST_BATCH = 250
# The others (webhooks: the alerts' delivery queue, which no alert fills here) see nothing.
ARTICLE_STAGES = ARTICLE_FLOW


# --- one observed run of 500 articles --------------------------------------------------


@dataclass
class Observed:
    settings: Settings
    env: dict[str, str]
    first_scrape: dict[str, Samples]
    last_scrape: dict[str, Samples]
    status_while_flowing: dict[str, Any]
    status_after: dict[str, Any]
    human_status: str
    stored: int
    page_article_id: str
    text_article_id: str


@pytest.fixture(scope="module")
def flow(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    tmp = tmp_path_factory.mktemp("operations")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings = Settings.model_validate(
        {
            "REDIS_URL": redis_url,
            "DATABASE_URL": None,
            "stream_prefix": prefix,
            "table_name": f"articles_{uuid.uuid4().hex[:12]}",
            "sqlite_path": tmp / "newsflow.db",
            "claim_interval_s": 0.2,
            "retry_backoff_ms": 50,
            "claim_idle_ms": 2000,
            "block_ms": 100,
            "http_port": 0,
        }
    )
    names = StreamNames(prefix)
    env = {**os.environ, **stage_env(settings)}
    client = redis.Redis.from_url(redis_url)
    try:
        with (
            page_server() as page_url,
            serving_stages(settings, tmp / "logs", **FETCH_ENV) as stages,
        ):
            publish(
                client,
                settings,
                [RawSubmission(url=page_url), *(text_article(n) for n in range(FIRST_BATCH - 1))],
            )
            # Articles are flowing through every stage once the sink has stored one.
            wait_until(
                lambda: forwarded(scrape(stages.ports["sink"]), "sink") >= 1, 60, "a first article"
            )
            first = {stage: scrape(port) for stage, port in stages.ports.items()}
            publish(
                client, settings, [text_article(n) for n in range(FIRST_BATCH - 1, ARTICLES - 1)]
            )
            while_flowing = orjson.loads(newsflow(env, "status", "--json").stdout)
            wait_until(
                lambda: stored_count(settings) == ARTICLES and sink_settled(client, names),
                90,
                f"{ARTICLES} articles stored",
            )
            # The throughput window ends before the current second, and each stage exports
            # its stream gauges every claim interval: let both pass.
            time.sleep(1.2)
            after = orjson.loads(newsflow(env, "status", "--json").stdout)
            human = newsflow(env, "status").stdout
            last = {stage: scrape(port) for stage, port in stages.ports.items()}
            assert not stages.exited(), stages.exited()
        text_id = next(
            orjson.loads(fields[b"data"])["id"]
            for _, fields in client.xrange(names.enriched)
            if b"Harbour report" in fields[b"data"]
        )
        yield Observed(
            settings=settings,
            env=env,
            first_scrape=first,
            last_scrape=last,
            status_while_flowing=while_flowing,
            status_after=after,
            human_status=human,
            stored=stored_count(settings),
            page_article_id=article_id_for_url(normalize_url(page_url)),
            text_article_id=text_id,
        )
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


# --- Must show 1: `newsflow status` ----------------------------------------------------


def test_status_throughput_and_lag_match_the_store(flow: Observed) -> None:
    assert flow.stored == ARTICLES
    after = flow.status_after
    assert [s["stage"] for s in after["stages"]] == list(STAGES)
    for stage in after["stages"]:
        name = stage["stage"]
        # Every article passed every article stage within the last minute, once.
        seen = flow.stored if name in ARTICLE_STAGES else 0
        assert stage["per_minute"] == seen, (name, stage["per_minute"])
        assert stage["per_second"] == round(seen / 60, 2)
        assert stage["length"] == seen, name
        assert (stage["lag"], stage["pending"]) == (0, 0), name
        assert stage["group_exists"] is True
        assert all(consumer["pending"] == 0 for consumer in stage["consumers"]), name
        if name in ARTICLE_STAGES:
            assert len(stage["consumers"]) == 1, stage["consumers"]
    assert after["enriched_length"] == flow.stored
    assert (after["dlq_length"], after["dlq_by_reason"]) == (0, {})


def test_status_while_articles_flow_shows_work_in_progress(flow: Observed) -> None:
    during = {s["stage"]: s for s in flow.status_while_flowing["stages"]}
    after = {s["stage"]: s for s in flow.status_after["stages"]}
    # Taken right after the second half was published: somewhere it was not done yet.
    assert any(
        (s["lag"] or 0) + s["pending"] > 0 or s["per_minute"] < ARTICLES for s in during.values()
    ), during
    for name, stage in during.items():
        assert stage["per_minute"] <= after[name]["per_minute"], name
        assert stage["length"] <= ARTICLES, name
    # The raw stream had all of them: both halves were published before the snapshot.
    assert during["fetcher"]["length"] == ARTICLES


def test_status_human_view_fits_in_100_columns(flow: Observed) -> None:
    lines = flow.human_status.splitlines()
    too_wide = [line for line in lines if len(line) > 100]
    assert not too_wide, too_wide
    rows = {line.split()[1]: line for line in lines if len(line.split()) > 1}
    for stage in STAGES:
        assert stage in rows, f"no row for {stage} in\n{flow.human_status}"
        # 500 articles in the last minute: 8.3 per second, length 500, nothing behind.
        seen = ARTICLES if stage in ARTICLE_STAGES else 0
        cells = rows[stage].replace("│", " ").split()
        expected = [str(seen), "0", "0", str(seen), f"{seen / 60:.1f}"]
        assert cells[2:7] == expected, rows[stage]
    assert f"enriched stream: {ARTICLES}" in flow.human_status
    assert "dead letters: 0" in flow.human_status


# --- Must show 2: /metrics of each service ---------------------------------------------


@pytest.mark.parametrize("stage", ARTICLE_STAGES)
def test_metrics_counters_advance_while_articles_flow(flow: Observed, stage: str) -> None:
    before, after = flow.first_scrape[stage], flow.last_scrape[stage]
    # The first scrape came while the first half was still on its way, the second after the
    # second half was stored.
    assert 1 <= forwarded(before, stage) <= FIRST_BATCH
    assert forwarded(after, stage) == ARTICLES
    assert value(after, "newsflow_processing_seconds_count", stage=stage) == ARTICLES
    assert value(before, "newsflow_processing_seconds_count", stage=stage) < ARTICLES
    received = sum(v for (n, _), v in after.items() if n == "faststream_received_messages_total")
    assert received == ARTICLES
    # The stream gauges describe the stage's own input, settled.
    assert value(after, "newsflow_stream_length", stage=stage) == ARTICLES
    assert value(after, "newsflow_group_lag", stage=stage) == 0
    assert value(after, "newsflow_group_pending", stage=stage) == 0
    assert value(after, "newsflow_dlq_length") == 0


def test_sink_metrics_show_end_to_end_latency(flow: Observed) -> None:
    sink = flow.last_scrape["sink"]
    assert value(sink, "newsflow_end_to_end_seconds_count") == ARTICLES
    assert value(sink, "newsflow_end_to_end_seconds_sum") > 0
    assert value(sink, "newsflow_end_to_end_seconds_bucket", le="+Inf") == ARTICLES


# --- Must show 2: the Grafana dashboard's metrics exist --------------------------------

# Made by Prometheus itself for each target, never by a service.
PROMETHEUS_OWN = {"up"}
# Metrics a panel queries that a service does not produce yet. strict: once the service
# does, this test fails until the entry is removed.
NOT_PRODUCED_YET: dict[str, str] = {}
DASHBOARD_METRICS = sorted(set().union(*map(metric_names, dashboard_exprs())) - PROMETHEUS_OWN)


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(m, marks=pytest.mark.xfail(reason=NOT_PRODUCED_YET[m], strict=True))
        if m in NOT_PRODUCED_YET
        else m
        for m in DASHBOARD_METRICS
    ],
)
def test_every_dashboard_metric_is_in_the_services_output(flow: Observed, metric: str) -> None:
    labels_seen: set[str] = set()
    for samples in flow.last_scrape.values():
        for name, labels in samples:
            if name == metric:
                labels_seen |= {label for label, _ in labels}
    exposing = [
        stage for stage, samples in flow.last_scrape.items() if any(n == metric for n, _ in samples)
    ]
    assert exposing, f"no service exposes a sample of {metric}"
    for expr in dashboard_exprs():
        if metric_names(expr) == {metric}:
            missing = grouping_labels(expr) - labels_seen
            assert not missing, f"{expr} groups by labels {metric} lacks: {missing}"


# --- Must show 5: `newsflow trace` -----------------------------------------------------


@pytest.mark.parametrize("which", ["page", "text"])
def test_trace_of_a_stored_article_shows_stage_times_in_order(flow: Observed, which: str) -> None:
    article_id = flow.page_article_id if which == "page" else flow.text_article_id
    found = orjson.loads(newsflow(flow.env, "trace", article_id, "--json").stdout)
    assert found["id"] == article_id
    assert found["stored"] is True
    assert found["dead_letters"] == []
    stamps = found["timestamps"]
    order = ["received", "fetched", "parsed", "enriched", "stored"]
    assert list(stamps) == order
    assert all(stamps[name] for name in order), stamps
    times = [datetime.fromisoformat(stamps[name]) for name in order]
    assert times == sorted(times), stamps
    # Every stream it passed through, each entry done.
    streams = {s["stream"].rsplit(":", 1)[-1]: s for s in found["streams"]}
    assert set(streams) == {"raw", "fetched", "parsed", "enriched"}, streams
    assert all(s["pending_in"] is None and s["waiting_for"] is None for s in streams.values())

    human = newsflow(flow.env, "trace", article_id).stdout.splitlines()
    assert human[0].split() == [article_id, "stored:", "yes"]
    assert [line.split()[0] for line in human[1:6]] == order
    assert [line.split()[1] for line in human[1:6]] == [stamps[name] for name in order]
