"""Alerts as a user runs them: three alerts added with `newsflow alerts add`, the five
stage processes, the seed and real pages published with `newsflow publish`; each alert's
stream then holds exactly the articles its query returns from the store, each once, and
`newsflow alerts watch`, `alerts show` and `status --json` say the same."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest
import redis
from pydantic import SecretStr

from shared.alerts.wire import AlertKeys, AlertMatch
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import StreamNames
from tests.conftest import REPO
from tests.e2e.harness import group_done, running_stages, stage_env, stored_count, wait_until

pytestmark = pytest.mark.e2e

PAGES = [
    REPO / "seeds",
    *sorted((REPO / "bench/pages").glob("*.html.gz")),
    *sorted((REPO / "tests/fixtures/html").glob("*.html.gz")),
]
PUBLISHED = 1 + 6 + 4

ALERTS = {
    "kp-war": ["--q", "Pyongyang OR Moscow", "--country", "KP", "--tone-max", "0"],
    "virus-calm": ["--q", "coronavirus OR emergency", "--tone-min", "-1", "--tone-max", "1"],
    "not-english": ["--language", "ru", "--language", "ja", "--language", "da"],
}


@pytest.fixture(params=["sqlite", "postgres"])
def alert_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield settings
        return
    url = request.getfixturevalue("database_url")
    yield settings.model_copy(update={"database_url": SecretStr(url)})
    with psycopg.connect(url, autocommit=True) as conn:
        for (table,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE %s", (f"{settings.table_name}%",)
        ).fetchall():
            conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')


def newsflow(env: dict[str, str], *args: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args],
        env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def stored_ids(settings: Settings, name: str) -> list[str]:
    async def search() -> list[str]:
        async with opened_store(settings) as store:
            alert = await store.get_alert(name)
            assert alert is not None
            page = await store.search(alert.query.article_query(), total_cap=None)
            return sorted(item.id for item in page.items)

    return asyncio.run(search())


def test_each_alert_gets_what_the_store_returns_for_its_query_once(
    alert_settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    settings = alert_settings
    names = StreamNames(settings.stream_prefix)
    keys = AlertKeys(settings.stream_prefix)
    env = {**os.environ, **stage_env(settings)}
    for name, options in ALERTS.items():
        newsflow(env, "alerts", "add", name, *options)
    with running_stages(settings, tmp_path / "logs"):
        newsflow(env, "publish", *map(str, PAGES))
        wait_until(lambda: stored_count(settings) == PUBLISHED, 180, "every page to be stored")
        wait_until(lambda: group_done(client, names.enriched, "alerts"), 60, "the alerts stage")
        # Every article enriched a second time (a replay): delivered to no alert twice.
        for _id, fields in client.xrange(names.enriched):
            client.xadd(names.enriched, fields)
        wait_until(lambda: group_done(client, names.enriched, "alerts"), 60, "the alerts stage")
        status = orjson.loads(newsflow(env, "status", "--json"))
    figures = {a["alert"]: a for a in status["alerts"]}
    for name in ALERTS:
        expected = stored_ids(settings, name)
        assert expected, f"{name} matches nothing: it checks nothing"
        streamed = [
            AlertMatch.from_entry(fields).article_id
            for _id, fields in client.xrange(keys.stream(name))
        ]
        assert sorted(streamed) == expected, name
        assert len(set(streamed)) == len(streamed)
        assert figures[name]["matched"] == len(expected)
        watched = newsflow(
            env, "alerts", "watch", name, "--from-start", "--count", str(len(expected)),
            "--timeout", "20",
        )  # fmt: skip
        lines = [orjson.loads(line) for line in watched.splitlines()]
        assert sorted(line["article_id"] for line in lines) == expected
        assert all(line["idempotency_key"] == f"{name}:{line['article_id']}" for line in lines)
        shown = orjson.loads(newsflow(env, "alerts", "show", name, "--json"))
        assert shown["figures"]["matched"] == len(expected)
