"""The alerts table of a store, `{table}_alerts`, in SQL both stores accept: one row per
alert, its definition as JSON (shared/alerts/definition.py), keyed by name.

Alerts live beside the articles because they must outlive Redis (a flushed or lost Redis
loses the streams, not the saved searches), and the API and the CLI already reach the store.
"""

from __future__ import annotations


def alerts_schema(table: str, time_type: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table}_alerts ("
        f"name TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at {time_type} NOT NULL)"
    )


def insert_alert(table: str, mark: str) -> str:
    """Adds the row unless the name is taken: the row count says which."""
    return (
        f"INSERT INTO {table}_alerts (name, definition, created_at) "
        f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (name) DO NOTHING"
    )


def select_alert(table: str, mark: str) -> str:
    return f"SELECT definition FROM {table}_alerts WHERE name = {mark}"


def select_alerts(table: str) -> str:
    return f"SELECT definition FROM {table}_alerts ORDER BY name"


def delete_alert(table: str, mark: str) -> str:
    return f"DELETE FROM {table}_alerts WHERE name = {mark}"
