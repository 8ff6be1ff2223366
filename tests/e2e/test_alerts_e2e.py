"""Alerts as a user runs them: three alerts added with `newsflow alerts add`, the five
stage processes, the seed and real pages published with `newsflow publish`; each alert's
stream then holds exactly the articles its query returns from the store, each once, and
`newsflow alerts watch`, `alerts show` and `status --json` say the same. A fourth alert,
`--once-per-story`, holds one article of each story the same search finds (the seed runs
twice, as two outlets would, in one story)."""

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

WEB_PAGES = [
    *sorted((REPO / "bench/pages").glob("*.html.gz")),
    *sorted((REPO / "tests/fixtures/html").glob("*.html.gz")),
]
PAGES = [REPO / "seeds", *WEB_PAGES]
PUBLISHED = 1 + len(WEB_PAGES)  # the seed, and each page (every one an article)

ALERTS = {
    "kp-war": ["--q", "Pyongyang OR Moscow", "--country", "KP", "--tone-max", "0"],
    "virus-calm": ["--q", "coronavirus OR emergency", "--tone-min", "-1", "--tone-max", "1"],
    "not-english": ["--language", "ru", "--language", "ja", "--language", "da"],
}
# kp-war's search, one match per story.
PER_STORY = ("kp-war-stories", "kp-war")


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


def stored_stories(settings: Settings, name: str) -> dict[str, str | None]:
    """The store's answer to the alert's search: article id -> its story id."""

    async def search() -> dict[str, str | None]:
        async with opened_store(settings) as store:
            alert = await store.get_alert(name)
            assert alert is not None
            page = await store.search(alert.query.article_query(), total_cap=None)
            return {item.id: item.story_id for item in page.items}

    return asyncio.run(search())


def stored_ids(settings: Settings, name: str) -> list[str]:
    return sorted(stored_stories(settings, name))


def test_each_alert_gets_what_the_store_returns_for_its_query_once(
    alert_settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    settings = alert_settings
    names = StreamNames(settings.stream_prefix)
    keys = AlertKeys(settings.stream_prefix)
    env = {**os.environ, **stage_env(settings)}
    for name, options in ALERTS.items():
        newsflow(env, "alerts", "add", name, *options)
    per_story, searched = PER_STORY
    newsflow(env, "alerts", "add", per_story, *ALERTS[searched], "--once-per-story")
    # The seed's report again, as another outlet runs it: one story of two articles.
    seed = next((REPO / "seeds").glob("*.txt"))
    rerun = tmp_path / "seed-as-rerun.txt"
    rerun.write_text(seed.read_text() + "\n\nThis report first ran on UNN.\n")
    with running_stages(settings, tmp_path / "logs"):
        newsflow(env, "publish", *map(str, PAGES), str(rerun))
        wait_until(lambda: stored_count(settings) == PUBLISHED + 1, 180, "every page stored")
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
    # Once per story: one article of each story the search finds, the first enriched.
    stories = stored_stories(settings, searched)
    streamed_matches = [
        AlertMatch.from_entry(f) for _id, f in client.xrange(keys.stream(per_story))
    ]
    assert sorted(m.story_id or m.article_id for m in streamed_matches) == sorted(
        {story or article for article, story in stories.items()}
    )
    assert all(stories[m.article_id] == m.story_id for m in streamed_matches)
    assert figures[per_story]["matched"] == len(streamed_matches) < len(stories)
