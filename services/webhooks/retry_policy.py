"""When a failed POST is tried again, and which failures are worth trying again.

* 2xx: delivered. 5xx, 408 and 429, a timeout or a connection error: retried after an
  exponential backoff with jitter (half to all of base * 2^(attempt-1), at most the cap),
  or after the receiver's Retry-After when it says so (seconds or an HTTP date, at most
  the cap). Any other status (3xx, 4xx): permanent, no retry.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


_RETRIED_4XX = frozenset({408, 429})


def verdict_of_status(status: int) -> Verdict:
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status >= 500 or status in _RETRIED_4XX:
        return Verdict.RETRY
    return Verdict.PERMANENT


def backoff_s(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential with jitter: between half and all of base * 2^(attempt-1), at most the
    cap. The random half spreads the retries of many deliveries, so a receiver that
    recovers is not hit by all of them at the same instant; the fixed half keeps the sum of
    the waits growing, so a delivery outlives an outage of about that sum."""
    ceiling = min(cap_s, base_s * 2.0 ** max(attempt - 1, 0))
    return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


def retry_after_s(header: str | None, now: datetime, cap_s: float) -> float | None:
    """Retry-After as seconds from now, at most `cap_s`; None when absent or unreadable."""
    if header is None or not header.strip():
        return None
    text = header.strip()
    # ASCII digits only: str.isdigit() holds for "²" too (a Latin-1 header byte), which
    # float() refuses, and a receiver's header must not fail the delivery.
    if text.isascii() and text.isdigit():
        return min(float(text), cap_s)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), cap_s)


def retry_delay_s(
    attempt: int,
    retry_after: float | None,
    *,
    base_s: float,
    cap_s: float,
    rng: random.Random,
) -> float:
    """The wait before the next attempt: the receiver's Retry-After when given (it knows),
    else the backoff."""
    if retry_after is not None:
        return min(retry_after, cap_s)
    return backoff_s(attempt, base_s, cap_s, rng)
