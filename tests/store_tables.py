"""Cleaning up after a test's own PostgreSQL tables."""

from __future__ import annotations

import psycopg
from psycopg import sql


def drop_store_tables(url: str, table: str) -> None:
    """The article table and every table the store made beside it (`<table>_<side>`), found
    by name rather than listed, so tables a later store version adds are dropped too."""
    pattern = table.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename LIKE %s",
                (pattern,),
            )
        ]
        if tables:
            names = sql.SQL(", ").join(sql.Identifier(name) for name in tables)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(names))
