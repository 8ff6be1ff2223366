"""The months an article's text names with their year, as story features (`t:2011-11`).

Two events of one kind (the same navy foiling pirates in 2008 and in 2011) share most of
their words and names; the dates their reports carry ("November 11, 2011", "Posted 11 /
27 / 2005") tell them apart. A month is the grain: the reports of one event span days
and are written on different days, but seldom name another month and year. English
month names and the US numeric order only: the dates the evaluation set carries.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

_MONTHS: Final = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH_OF: Final = {name[:3]: number for number, name in enumerate(_MONTHS, start=1)}
_MONTH: Final = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY: Final = r"\d{1,2}(?:st|nd|rd|th)?"
# "November 11, 2011", "11 November 2011", "November 2011", "11 / 28 / 05" (ECB+'s
# tokenised text puts spaces around the slashes and before commas).
_DATE: Final = re.compile(
    rf"\b(?:{_MONTH}(?:\s+{_DAY})?\s*,?\s+(?P<year>\d{{4}})"
    rf"|{_DAY}\s+{_MONTH.replace('month', 'month2')}\s*,?\s+(?P<year2>\d{{4}})"
    r"|(?P<numeric_month>\d{1,2})\s*/\s*\d{1,2}\s*/\s*(?P<numeric_year>\d{4}|\d{2}))\b",
    re.IGNORECASE,
)
_EARLIEST: Final = 1900
_LATEST: Final = 2100


def month_years(text: str) -> Counter[str]:
    """How often the text names each month of a year, as `t:YYYY-MM` features."""
    found: Counter[str] = Counter()
    for match in _DATE.finditer(text):
        if match["numeric_month"]:
            month = int(match["numeric_month"])
            year = match["numeric_year"]
            year = year if len(year) == 4 else "20" + year
        else:
            name = match["month"] or match["month2"]
            month = _MONTH_OF[name[:3].casefold()]
            year = match["year"] or match["year2"]
        if 1 <= month <= 12 and _EARLIEST <= int(year) < _LATEST:
            found[f"t:{year}-{month:02d}"] += 1
    return found
