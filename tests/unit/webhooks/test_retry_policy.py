"""Which answers are retried, how long the worker waits, and Retry-After in both forms."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from services.webhooks.retry_policy import (
    Verdict,
    backoff_s,
    retry_after_s,
    retry_delay_s,
    verdict_of_status,
)

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED), (202, Verdict.DELIVERED), (204, Verdict.DELIVERED),
        (500, Verdict.RETRY), (502, Verdict.RETRY), (503, Verdict.RETRY),
        (408, Verdict.RETRY), (429, Verdict.RETRY),
        (400, Verdict.PERMANENT), (401, Verdict.PERMANENT), (404, Verdict.PERMANENT),
        (410, Verdict.PERMANENT), (301, Verdict.PERMANENT), (302, Verdict.PERMANENT),
    ],
)  # fmt: skip
def test_5xx_408_and_429_are_retried_other_4xx_and_redirects_are_permanent(
    status: int, verdict: Verdict
) -> None:
    assert verdict_of_status(status) is verdict


def test_backoff_doubles_with_jitter_within_half_and_all_of_its_ceiling() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 60.0)):
        waits = [backoff_s(attempt, 1.0, 60.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len({round(wait, 6) for wait in waits}) > 100  # jittered, not one value


def test_retry_after_in_seconds_and_as_an_http_date_is_capped() -> None:
    assert retry_after_s("7", NOW, 300) == 7
    assert retry_after_s("86400", NOW, 300) == 300
    later = format_datetime(NOW + timedelta(seconds=42), usegmt=True)
    assert retry_after_s(later, NOW, 300) == pytest.approx(42)
    past = format_datetime(NOW - timedelta(seconds=42), usegmt=True)
    assert retry_after_s(past, NOW, 300) == 0
    far = format_datetime(NOW + timedelta(days=2), usegmt=True)
    assert retry_after_s(far, NOW, 300) == 300


# "\xb2" is "²", what httpx makes of a Latin-1 byte: a digit to str.isdigit(), not to float().
@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5e9", "\xb2", "3\xb2"])
def test_an_absent_or_unreadable_retry_after_is_ignored(header: str | None) -> None:
    assert retry_after_s(header, NOW, 300) is None


def test_the_receivers_retry_after_wins_over_the_backoff() -> None:
    rng = random.Random(1)
    assert retry_delay_s(1, 9.0, base_s=1.0, cap_s=300, rng=rng) == 9.0
    assert 0.5 <= retry_delay_s(1, None, base_s=1.0, cap_s=300, rng=rng) <= 1.0
