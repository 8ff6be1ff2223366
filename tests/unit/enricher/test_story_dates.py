"""The months of years a text names, as story features."""

from __future__ import annotations

import pytest

from services.enricher.story_dates import month_years


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("Updated: November 11, 2011 20: 09 IST", "t:2011-11"),
        ("Published: Nov 28, 2005", "t:2005-11"),
        ("December 15th, 2008, 7: 35 am", "t:2008-12"),
        ("Sunday, 28 November, 2005", "t:2005-11"),
        ("in May 2008 the club", "t:2008-05"),
        ("Sept. 3, 2009", "t:2009-09"),
        ("Posted 11 / 27 / 2005 7: 21 AM", "t:2005-11"),
        ("12/16/08 1:30 AM EST", "t:2008-12"),
    ],
)
def test_a_date_names_its_month_and_year(text: str, month: str) -> None:
    assert month_years(text) == {month: 1}


def test_each_mention_counts_and_no_date_is_nothing() -> None:
    assert month_years("March 2009 ... on March 30, 2009")["t:2009-03"] == 2
    assert month_years("At 11:30 on Saturday 23 pirates, 2,000 rounds, 13 / 45 / 2009") == {}
