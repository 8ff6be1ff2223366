"""The outcomes a stage finishes entries with are a closed set, and their metric labels are
the ones dashboards and alerts query."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest

from shared.delivery import Outcome


def test_outcome_label_values_are_unchanged() -> None:
    assert [outcome.value for outcome in Outcome] == [
        "forwarded",
        "dead_lettered",
        "retry",
        "unavailable",
    ]


def test_an_outcome_is_exported_as_its_plain_value() -> None:
    registry = CollectorRegistry()
    messages = Counter("messages", "", ["stage", "outcome"], registry=registry)
    messages.labels("parser", Outcome.DEAD_LETTERED).inc()
    assert 'messages_total{outcome="dead_lettered",stage="parser"} 1.0' in (
        generate_latest(registry).decode()
    )
