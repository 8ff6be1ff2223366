"""Dates written by people and machines -> timezone-aware datetimes; never in the future.

A date without a time or zone becomes midnight UTC of that day: the day is what readers
and the benchmark judge, and a naive datetime would not serialise as ISO 8601 with a zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# A page's clock may run ahead of ours by a timezone; more than that is a wrong date.
_FUTURE_TOLERANCE = timedelta(days=1)
_EARLIEST_YEAR = 1990

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month_name>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = (
    r"(?:(?:,|\s+at|\s*[T\s])\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\.\d+)?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<zone>Z\b|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|GMT\b|UTC\b)?)?"
)
# Each pattern finds one date (and maybe a time) inside a longer line.
_DATE_PATTERNS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME,
        r"\b(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>\d{4})" + _TIME,
        r"\b(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})" + _TIME,
        r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME,
        r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
        + _MONTH
        + r",?\s+(?P<year>\d{4})"
        + _TIME,
    )
)


def find_date(line: str) -> tuple[datetime, tuple[int, int]] | None:
    """The first plausible date written in `line`, and where it stands (start, end)."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(line):
            value = _from_match(match)
            if value is not None:
                return value, match.span()
    return None


def parse_date(value: object) -> datetime | None:
    """A machine-written date: ISO 8601, RFC 2822 (feeds), a Unix timestamp, or any of the
    human shapes `find_date` knows. None when absent, unreadable or in the future."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_timestamp(float(value))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:200]
    if text.isdigit() and len(text) in (10, 13):
        return _from_timestamp(int(text) / (1000 if len(text) == 13 else 1))
    try:
        return plausible(_aware(datetime.fromisoformat(text.replace("Z", "+00:00"))))
    except ValueError:
        pass
    try:
        return plausible(_aware(parsedate_to_datetime(text)))
    except (TypeError, ValueError, IndexError):
        pass
    found = find_date(text)
    return found[0] if found else None


def plausible(value: datetime | None, now: datetime | None = None) -> datetime | None:
    """The date itself, or None when it lies in the future or before news was on the web."""
    if value is None or ahead(value, now) or value.year < _EARLIEST_YEAR:
        return None
    return value


def ahead(value: datetime, now: datetime | None = None) -> bool:
    """Later than now by more than a timezone: not a date anything was published at."""
    return value > (now or datetime.now(UTC)) + _FUTURE_TOLERANCE


def day_start(day: str) -> datetime | None:
    """'YYYY-MM-DD' -> that day at midnight UTC."""
    try:
        return plausible(datetime.strptime(day[:10], "%Y-%m-%d").replace(tzinfo=UTC))
    except ValueError:
        return None


def _from_match(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    month = MONTHS[parts["month_name"].lower()] if parts.get("month_name") else int(parts["month"])
    hour = int(parts["hour"]) if parts.get("hour") else 0
    if parts.get("ampm"):
        hour = hour % 12 + (12 if parts["ampm"].lower().startswith("p") else 0)
    try:
        value = datetime(
            int(parts["year"]),
            month,
            int(parts["day"]),
            hour,
            int(parts["minute"]) if parts.get("minute") else 0,
            int(parts["second"]) if parts.get("second") else 0,
            tzinfo=_zone(parts.get("zone")),
        )
    except ValueError:
        return None
    return plausible(value)


def _zone(text: str | None) -> timezone:
    if not text:
        return UTC
    match = re.search(r"([+-])(\d{1,2}):?(\d{2})?", text)
    if not match:
        return UTC  # Z, GMT, UTC
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return UTC
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _from_timestamp(seconds: float) -> datetime | None:
    try:
        return plausible(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None
