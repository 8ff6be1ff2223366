"""What the sink does to a row before either database sees it.

A NUL character is valid in JSON and in Python text but PostgreSQL refuses it in `text`
and in `jsonb` (`\\u0000`), so an article with one in any field would be lost there and
kept by SQLite. It never carries meaning in an article: it is dropped from every text, on
both stores, so both hold the same. The id is the exception: dropping a character from it
could make it another article's id, so such a row is refused instead.

`source` and `language` are indexed: they are cut to their first `INDEXED_CHARS`
characters (facet_rows.py), as the side tables' values are.

A `published_at` near the ends of Python's calendar is refused too: PostgreSQL holds
9999-12-31T23:00-05:00 (year 10000 in UTC) and dates before year 1, but psycopg cannot give
them back, so one such article stored broke every listing and search that came to it.
SQLite's column could not hold it either. A day's margin at each end covers any session
time zone the dates are read back in.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.errors import Rejected
from shared.store.article_store import ArticleRow
from shared.store.facet_rows import indexed

_NUL = "\x00"
# How orjson writes NUL inside a JSON string; a text holding a literal backslash-u0000
# matches too, and then the event is merely re-encoded unchanged.
_NUL_ESCAPE = "\\u0000"
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def storable(row: ArticleRow) -> ArticleRow:
    """The row as both stores take it: without NUL, with a date they can give back and
    indexed columns an index takes."""
    published = row.published_at
    if published is not None:
        # A time without an offset is taken as UTC (PostgreSQL reads it in its session zone,
        # within the day of margin).
        aware = published if published.tzinfo else published.replace(tzinfo=UTC)
        if not _EARLIEST <= aware <= _LATEST:
            raise Rejected(
                "store_rejected",
                f"published_at {published.isoformat()} is outside the dates the store can "
                f"give back ({_EARLIEST.date()} to {_LATEST.date()} UTC)",
            )
    row = without_nul(row)
    # Indexed columns (facet_rows.INDEXED_CHARS); the story's members repeat them.
    return dataclasses.replace(
        row,
        source=indexed(row.source) if row.source else row.source,
        language=indexed(row.language) if row.language else row.language,
    )


def without_nul(row: ArticleRow) -> ArticleRow:
    if _NUL in row.id:
        raise Rejected("store_rejected", "the article id contains a NUL character")
    texts: dict[str, Any] = {
        field.name: value.replace(_NUL, "")
        for field in dataclasses.fields(row)
        if isinstance(value := getattr(row, field.name), str) and _NUL in value
    }
    if _NUL_ESCAPE in row.event_json:
        texts["event_json"] = orjson.dumps(_strip_nul(orjson.loads(row.event_json))).decode()
    return dataclasses.replace(row, **texts) if texts else row


def _strip_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace(_NUL, "")
    if isinstance(value, list):
        return [_strip_nul(item) for item in value]
    if isinstance(value, dict):
        return {str(_strip_nul(key)): _strip_nul(item) for key, item in value.items()}
    return value
