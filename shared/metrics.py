"""Prometheus metrics every stage exposes (on top of FastStream's own `faststream_*`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

MESSAGES = Counter(
    "newsflow_messages",
    "Entries a stage finished, by outcome: forwarded, dead_lettered, retry, unavailable.",
    ["stage", "outcome"],
)
PROCESSING_SECONDS = Histogram(
    "newsflow_processing_seconds",
    "Time a stage spends on one entry, delivery included.",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)
END_TO_END_SECONDS = Histogram(
    "newsflow_end_to_end_seconds",
    "From received_at (publish) to stored, per stored article.",
    buckets=_LATENCY_BUCKETS,
)
STREAM_LENGTH = Gauge("newsflow_stream_length", "Entries in a stage's input stream.", ["stage"])
GROUP_LAG = Gauge("newsflow_group_lag", "Entries not yet delivered to a stage's group.", ["stage"])
GROUP_PENDING = Gauge(
    "newsflow_group_pending", "Entries delivered to a stage but not acknowledged.", ["stage"]
)
DLQ_LENGTH = Gauge("newsflow_dlq_length", "Entries on the dead-letter stream.")
FETCH_RESPONSES = Counter(
    "newsflow_fetch_responses", "HTTP responses the fetcher got, by host and status.",
    ["host", "status"],
)  # fmt: skip
MODEL_LOAD_SECONDS = Gauge(
    "newsflow_model_load_seconds", "Time the enricher took to load a model.", ["model"]
)
# Per alert (label `alert`): totals kept in Redis (shared/alerts/figures.py), so every
# replica reports the same figure.
ALERT_MATCHED = Gauge("newsflow_alert_matched", "Articles matched by an alert.", ["alert"])
ALERT_DELIVERED = Gauge(
    "newsflow_alert_delivered", "Webhook deliveries of an alert its receiver accepted.", ["alert"]
)
ALERT_FAILED = Gauge(
    "newsflow_alert_failed",
    "Webhook deliveries of an alert given up on (dead-lettered).",
    ["alert"],
)
