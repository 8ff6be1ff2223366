"""The facet side tables of an article table, in SQL both stores accept, and the migration
that adds them to a table made by an earlier release.

`{table}_countries`, `_entities`, `_topics`, `_places`, `_authors`: one row per article and
value (facet_rows.py), indexed on what filters match; `{table}_meta` records that the
backfill ran, so it runs once per table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.store.facet_rows import SIDE_TABLES, FacetRows

BACKFILLED = "facets_v1"
BACKFILL_BATCH = 500

_TYPES = {"geonames_id": "BIGINT"}
# What filters match, per side table: indexed with the article id, so the EXISTS filter
# and the join of a top list are index look-ups.
_FILTERED = {
    "countries": ("code",),
    "entities": ("key",),
    "topics": ("code", "key"),
    "places": ("key",),
    "authors": ("key",),
}


def side_schema(table: str) -> str:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {table}_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {table}_source_idx ON {table} (source)",
        f"CREATE INDEX IF NOT EXISTS {table}_language_idx ON {table} (language)",
    ]
    for name, columns in SIDE_TABLES.items():
        side = f"{table}_{name}"
        typed = ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in columns)
        statements.append(f"CREATE TABLE IF NOT EXISTS {side} (article_id TEXT NOT NULL, {typed})")
        statements.append(f"CREATE INDEX IF NOT EXISTS {side}_article_idx ON {side} (article_id)")
        statements.extend(
            f"CREATE INDEX IF NOT EXISTS {side}_{c}_idx ON {side} ({c}, article_id)"
            for c in _FILTERED[name]
        )
    return ";\n".join(statements) + ";"


def side_writes(
    table: str, mark: str, article_id: str, rows: FacetRows
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(statement, parameter rows) replacing the article's side rows."""
    for name, columns in SIDE_TABLES.items():
        side = f"{table}_{name}"
        yield f"DELETE FROM {side} WHERE article_id = {mark}", [(article_id,)]
        if rows.by_table[name]:
            marks = ", ".join([mark] * (len(columns) + 1))
            yield (
                f"INSERT INTO {side} (article_id, {', '.join(columns)}) VALUES ({marks})",
                [(article_id, *row) for row in rows.by_table[name]],
            )
