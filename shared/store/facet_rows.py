"""The filterable facets of one event, as the rows of the side tables that index them.

Both stores fill the same side tables from this, in the same transaction as the article
(and replace them on re-upsert), and their migrations backfill them with it, so a filter
or a top list never scans the stored JSON. Each table has a `key` (the value in lower
case, made here rather than in SQL, whose lower() differs between the stores) that filters
match case-insensitively; rows are unique per article and value, so counts are plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Side table suffix -> its columns after article_id; `key` is always last.
SIDE_TABLES: dict[str, tuple[str, ...]] = {
    "countries": ("code", "key"),
    "entities": ("type", "text", "key"),
    "topics": ("code", "label", "key"),
    "places": ("name", "geonames_id", "key"),
    "authors": ("name", "key"),
}


# A value is indexed by its first INDEXED_CHARS characters: a PostgreSQL btree index takes
# at most 2704 bytes a row, and a page's site name or byline can be any length (PostgreSQL
# refused the whole article, SQLite kept it). No name is that long; the event keeps it whole.
INDEXED_CHARS = 200


def indexed(value: str) -> str:
    return value[:INDEXED_CHARS]


@dataclass(frozen=True)
class FacetRows:
    by_table: dict[str, list[tuple[Any, ...]]]


def facet_rows(event: dict[str, Any]) -> FacetRows:
    """From the event as JSON (a dict): the store and its backfill read it that way."""
    article = event.get("article") or {}
    enrichment = event.get("enrichment") or {}
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in SIDE_TABLES}
    seen: dict[str, set[str]] = {name: set() for name in SIDE_TABLES}

    def add(table: str, unique: str, row: tuple[Any, ...]) -> None:
        unique = indexed(unique)
        if unique and unique not in seen[table]:
            seen[table].add(unique)
            rows[table].append(tuple(indexed(v) if isinstance(v, str) else v for v in row))

    for country in enrichment.get("countries") or []:
        code = str(country.get("alpha2", "")).upper()
        add("countries", code, (code, code.lower()))
    for entity in enrichment.get("entities") or []:
        text = str(entity.get("text", ""))
        add("entities", text, (str(entity.get("type", "")), text, text.lower()))
    for topic in enrichment.get("topics") or []:
        code, label = str(topic.get("code", "")), str(topic.get("label", ""))
        add("topics", code, (code, label, label.lower()))
    for place in enrichment.get("places") or []:
        name = str(place.get("name", ""))
        add("places", name, (name, place.get("geonames_id"), name.lower()))
    for author in article.get("authors") or []:
        name = str(author)
        add("authors", name, (name, name.lower()))
    return FacetRows(rows)


def stored_time(value: datetime) -> str:
    """A time as SQLite stores it: UTC, fixed width, so text order is time order."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    # isoformat, not strftime: strftime's %Y writes year 999 as "999", not "0999".
    return aware.astimezone(UTC).isoformat(timespec="microseconds")
