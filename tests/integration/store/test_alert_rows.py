"""The alerts table, the same contract on PostgreSQL and on SQLite: add, get, list, remove,
a taken name refused, and the definition (its webhook secret included) kept as it was
given, across a reopen of the store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.alerts.definition import AlertDefinition
from shared.store.article_store import ArticleStore
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration

SECRET = "s3cret-s3cret-s3cret"


def alert(name: str, **query: object) -> AlertDefinition:
    return AlertDefinition.checked(
        name=name,
        query=query or {"q": "missile"},
        webhook={"url": "https://hooks.example.org/in", "secret": SECRET},
        rate_per_minute=5,
        created_at=datetime(2026, 12, 2, 4, 50, tzinfo=UTC),
    )


def reopened(store: ArticleStore) -> ArticleStore:
    if isinstance(store, SqliteStore):
        return SqliteStore(store.path, store.table)
    assert isinstance(store, PostgresStore)
    return PostgresStore(store.url, store._table_name)


async def test_add_get_list_remove(store: ArticleStore) -> None:
    kp = alert("kp-troops", q='"North Korea" troops', countries=["RU"], tone_max=-1.5)
    assert await store.add_alert(kp)
    assert await store.add_alert(alert("a-first"))
    assert await store.get_alert("kp-troops") == kp
    assert [a.name for a in await store.list_alerts()] == ["a-first", "kp-troops"]
    assert await store.remove_alert("a-first")
    assert not await store.remove_alert("a-first")
    assert await store.get_alert("a-first") is None
    assert [a.name for a in await store.list_alerts()] == ["kp-troops"]


async def test_a_taken_name_is_refused_and_the_first_alert_kept(store: ArticleStore) -> None:
    assert await store.add_alert(alert("same", q="first"))
    assert not await store.add_alert(alert("same", q="second"))
    found = await store.get_alert("same")
    assert found is not None and found.query.q == "first"


async def test_the_alerts_outlive_the_connection(store: ArticleStore) -> None:
    kp = alert("kp", entities=["Kim Jong Un"], tone_min=-3, tone_max=3)
    await store.add_alert(kp)
    again = reopened(store)
    await again.open()
    try:
        found = await again.get_alert("kp")
    finally:
        await again.close()
    assert found == kp
    assert found.webhook is not None
    assert found.webhook.secret.get_secret_value() == SECRET
