"""Dates as people and machines write them, and dates that cannot be right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.parser.dates import find_date, parse_date, plausible

CET = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date 2025-04-28 $41.750.06", datetime(2025, 4, 28, tzinfo=UTC)),
        ("03.02.2024 18:45", datetime(2024, 2, 3, 18, 45, tzinfo=UTC)),
        ("Published: 14 March 2024, 09:30", datetime(2024, 3, 14, 9, 30, tzinfo=UTC)),
        ("March 3, 2024 10:15 AM GMT+1", datetime(2024, 3, 3, 10, 15, tzinfo=CET)),
        ("Sept. 9th, 2023 at 4:05 pm", datetime(2023, 9, 9, 16, 5, tzinfo=UTC)),
        ("2024/01/31", datetime(2024, 1, 31, tzinfo=UTC)),
    ],
)
def test_find_date_in_a_line(text: str, expected: datetime) -> None:
    found = find_date(text)
    assert found is not None
    assert found[0] == expected


@pytest.mark.parametrize("text", ["31.02.2024", "no date here", "1234-56-78", "$41.750.06"])
def test_no_date_in_a_line(text: str) -> None:
    assert find_date(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-03T18:00:00Z", datetime(2024, 6, 3, 18, tzinfo=UTC)),
        ("2024-06-03T20:00:00+02:00", datetime(2024, 6, 3, 18, tzinfo=UTC)),
        ("Mon, 03 Jun 2024 18:00:00 GMT", datetime(2024, 6, 3, 18, tzinfo=UTC)),
        (1717437600, datetime(2024, 6, 3, 18, tzinfo=UTC)),
        ("1717437600000", datetime(2024, 6, 3, 18, tzinfo=UTC)),
        ("June 3, 2024", datetime(2024, 6, 3, tzinfo=UTC)),
    ],
)
def test_parse_machine_dates(value: object, expected: datetime) -> None:
    assert parse_date(value) == expected


def test_parsed_dates_keep_their_offset() -> None:
    parsed = parse_date("2024-06-03T20:00:00+02:00")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("value", [None, "", True, [], "soon", "2999-01-01", "1970-01-01"])
def test_unusable_dates(value: object) -> None:
    assert parse_date(value) is None


def test_future_is_rejected_beyond_a_day_of_clock_skew() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert plausible(now + timedelta(hours=12), now) is not None
    assert plausible(now + timedelta(days=3), now) is None
