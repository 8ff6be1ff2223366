"""The alert definition: checked as the read side checks a query, its secret kept for the
store and shown nowhere else."""

from __future__ import annotations

import pytest

from newsflow_cli.alerts import parse_rate
from shared.alerts.definition import AlertDefinition, AlertError, secret_fingerprint
from shared.store.article_query import QueryError

SECRET = "0123456789abcdef-secret"


def kp(**extra: object) -> AlertDefinition:
    return AlertDefinition.checked(
        name="kp-troops",
        query={"q": '"North Korea" troops', "countries": ["ru"], "tone_max": -1},
        webhook={"url": "https://hooks.example.org/x", "secret": SECRET},
        **extra,
    )


def test_the_query_is_the_read_side_s() -> None:
    query = kp().query.article_query()
    assert query.countries == ("RU",) and query.tone_max == -1 and query.q is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x", "query": {"q": "-only"}}, "q needs at least one word"),
        ({"name": "x", "query": {"q": "a OR -b"}}, "a -word cannot be one side of OR"),
        ({"name": "x", "query": {"countries": ["Korea"]}}, "ISO 3166-1 alpha-2"),
        ({"name": "x", "query": {"tone_min": 3, "tone_max": 1}}, "tone_min is above tone_max"),
        ({"name": "x", "query": {"tone_max": 1000}}, "tone_max"),
        ({"name": "x", "query": {"date_from": "2020-01-01"}}, "date_from"),
        ({"name": "Has Spaces", "query": {}}, "lower-case letters"),
        ({"name": "version", "query": {}}, "reserved"),
        ({"name": "x", "query": {}, "rate_per_minute": 0}, "rate_per_minute"),
        ({"name": "x", "query": {}, "webhook": {"url": "file:///etc/passwd", "secret": SECRET}},
         "http:// or https://"),
        ({"name": "x", "query": {}, "webhook": {"url": "https://u:p@h/", "secret": SECRET}},
         "must not hold a user or password"),
        ({"name": "x", "query": {}, "webhook": {"url": "https://h/", "secret": "short"}},
         "at least 16 characters"),
    ],
)  # fmt: skip
def test_a_bad_alert_is_an_alert_error_with_a_message(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(QueryError) as raised:
        AlertDefinition.checked(**fields)
    assert message in raised.value.message


def test_the_secret_is_stored_but_never_shown() -> None:
    alert = kp()
    stored = alert.stored_json()
    assert SECRET in stored
    assert AlertDefinition.from_stored(stored) == alert
    shown = alert.public_view()
    assert SECRET not in str(shown) and SECRET not in repr(alert) and SECRET not in str(alert)
    assert shown["webhook"] == {
        "origin": "https://hooks.example.org",
        "secret_fingerprint": secret_fingerprint(SECRET),
    }
    assert secret_fingerprint(SECRET) != secret_fingerprint(SECRET + "x")


def test_rate() -> None:
    assert parse_rate("10/min") == 10
    assert parse_rate("7") == 7
    with pytest.raises(AlertError):
        parse_rate("10/h")
