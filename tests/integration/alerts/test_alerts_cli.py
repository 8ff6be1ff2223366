"""`newsflow alerts` as a user runs it: a bad alert refused in one line with the read side's
own message, a webhook secret shown once at `add` and never by `list` or `show`, `test`
running the query on the store and the recent enriched entries, `remove`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from shared.settings import Settings
from shared.store.article_query import ArticleQuery, QueryError
from shared.store.backends import opened_store
from shared.streams import StreamNames, encode_json
from tests.integration.alerts.support import in_story
from tests.integration.store.articles import ARTICLES

pytestmark = pytest.mark.integration


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "DATABASE_URL": "",
        "NEWSFLOW_SQLITE_PATH": str(settings.sqlite_path),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
        "NEWSFLOW_TABLE_NAME": settings.table_name,
        # The SSRF guard at `add`: example.org does not resolve here.
        "NEWSFLOW_WEBHOOK_ALLOW_NETWORKS": "example.org",
    }


def newsflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "alerts", *args],
        env=env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def read_side_message(**fields: object) -> str:
    try:
        ArticleQuery.checked(**fields)
    except QueryError as exc:
        return exc.message
    raise AssertionError("the read side takes it")


def test_a_bad_alert_is_refused_with_the_read_side_s_message(env: dict[str, str]) -> None:
    only_negative = refusal(newsflow(env, "add", "x", "--q", "-only -negatives"))
    assert only_negative == read_side_message(q="-only -negatives")
    assert refusal(newsflow(env, "add", "x", "--country", "Korea")) == read_side_message(
        countries=["Korea"]
    )
    assert "tone_min is above tone_max" in refusal(
        newsflow(env, "add", "x", "--tone-min", "2", "--tone-max", "1")
    )
    assert "must be 1-64 lower-case" in refusal(newsflow(env, "add", "Not A Slug"))
    assert "reserved" in refusal(newsflow(env, "add", "deliveries"))
    assert "http:// or https://" in refusal(newsflow(env, "add", "x", "--webhook", "ftp://x/y"))
    assert "at least 16" in refusal(
        newsflow(env, "add", "x", "--webhook", "https://example.org/h", "--secret", "short")
    )
    assert "N/min" in refusal(newsflow(env, "add", "x", "--rate", "fast"))
    assert "no alerts" in newsflow(env, "list").stdout


def test_the_secret_is_shown_once_and_then_only_its_fingerprint(env: dict[str, str]) -> None:
    added = newsflow(env, "add", "kp", "--q", "missile", "--webhook", "https://example.org/h")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("keep it): ")[1].split()[0]
    assert len(secret) >= 32
    given = "a-secret-given-by-the-user"
    added = newsflow(
        env, "add", "given", "--q", "x", "--webhook", "https://example.org/h", "--secret", given
    )
    assert added.returncode == 0 and given not in added.stdout + added.stderr
    for args in (("list",), ("list", "--json"), ("show", "kp"), ("show", "kp", "--json")):
        shown = newsflow(env, *args)
        assert shown.returncode == 0, shown.stderr
        assert secret not in shown.stdout and given not in shown.stdout
        assert "sha256:" in shown.stdout or args == ("list",)
    view = orjson.loads(newsflow(env, "show", "kp", "--json").stdout)
    assert view["webhook"] == {
        "origin": "https://example.org",
        "secret_fingerprint": view["webhook"]["secret_fingerprint"],
    }
    assert "an alert named 'kp' exists" in refusal(newsflow(env, "add", "kp", "--q", "other"))


def test_test_runs_the_query_on_the_store_and_the_recent_entries(
    env: dict[str, str], settings: Settings
) -> None:
    # art001 and art002 report one story, art006 another.
    stories = {"art001": "s-kp", "art002": "s-kp", "art006": "s-other"}
    events = [
        in_story(event, stories[event.id]) if event.id in stories else event for event in ARTICLES
    ]

    async def load() -> None:
        async with opened_store(settings) as store:
            for event in events:
                await store.upsert(event)
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url.get_secret_value())
        for event in events:
            await redis.xadd(
                StreamNames(settings.stream_prefix).enriched, encode_json(event.to_json())
            )
        await redis.aclose()

    asyncio.run(load())
    assert newsflow(env, "add", "kp", "--q", "missile", "--country", "KP").returncode == 0
    tested = orjson.loads(newsflow(env, "test", "kp", "--json").stdout)
    assert tested["stored_total"] == 3
    assert tested["stored_stories"] is None  # counted for alerts once per story only
    assert {item["id"] for item in tested["stored"]} == {"art001", "art002", "art006"}
    assert tested["recent_checked"] == len(ARTICLES)
    assert sorted(tested["recent_matched"]) == ["art001", "art002", "art006"]
    human = newsflow(env, "test", "kp").stdout
    assert "3 stored articles match" in human and "Missile test near Pyongyang" in human
    assert "stories" not in human  # an alert of every article: no story count
    # An alert once per story says how many stories, the matches it would record.
    options = ("--q", "missile", "--country", "KP", "--once-per-story")
    added = newsflow(env, "add", "kp-stories", *options)
    assert added.returncode == 0 and "(once per story)" in added.stdout
    tested = orjson.loads(newsflow(env, "test", "kp-stories", "--json").stdout)
    assert tested["once_per_story"] is True
    assert (tested["stored_total"], tested["stored_stories"]) == (3, 2)
    assert (len(tested["recent_matched"]), tested["recent_stories"]) == (3, 2)
    human = newsflow(env, "test", "kp-stories").stdout
    assert "3 stored articles match, in 2 stories" in human
    assert "3 match, in 2 stories (one match each)" in human


def test_remove(env: dict[str, str]) -> None:
    assert newsflow(env, "add", "kp", "--q", "missile").returncode == 0
    assert newsflow(env, "remove", "kp").returncode == 0
    assert "no alert named 'kp'" in refusal(newsflow(env, "remove", "kp"))
    assert "no alert named 'kp'" in refusal(newsflow(env, "show", "kp"))


def test_watching_an_alert_that_does_not_exist_is_refused_not_waited_on(
    env: dict[str, str],
) -> None:
    assert newsflow(env, "add", "kp", "--q", "missile").returncode == 0
    assert "no alert named 'nosuch'" in refusal(newsflow(env, "watch", "nosuch"))
    # An alert without a match yet is followed (here until the timeout).
    waited = newsflow(env, "watch", "kp", "--timeout", "0.5")
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout == ""
