"""`newsflow feeds add/list/remove` against a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from typer.testing import CliRunner

from newsflow_cli.feeds import feeds_app
from shared.settings import Settings, get_settings
from shared.streams import StreamNames

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("REDIS_URL", settings.redis_url.get_secret_value())
    monkeypatch.setenv("NEWSFLOW_STREAM_PREFIX", settings.stream_prefix)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = list(client.scan_iter(match=f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_add_list_remove(cli_env: Settings) -> None:
    runner = CliRunner()
    added = runner.invoke(
        feeds_app, ["add", "HTTPS://News.Example.com/feed/?utm_source=x", "--interval", "120"]
    )
    assert added.exit_code == 0, added.output
    assert "HTTPS://News.Example.com/feed/?utm_source=x" in added.output

    client = redis.Redis.from_url(cli_env.redis_url.get_secret_value())
    stored = client.hkeys(StreamNames(cli_env.stream_prefix).stream("feeds"))
    client.close()
    assert stored == [b"https://news.example.com/feed"]

    listed = runner.invoke(feeds_app, ["list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "HTTPS://News.Example.com/feed/?utm_source=x" in listed.output
    assert "120" in listed.output

    removed = runner.invoke(feeds_app, ["remove", "https://news.example.com/feed/"])
    assert removed.exit_code == 0, removed.output
    assert "no feeds" in runner.invoke(feeds_app, ["list"]).output
    assert runner.invoke(feeds_app, ["remove", "https://news.example.com/feed"]).exit_code == 1


def test_add_refuses_what_is_not_an_http_url(cli_env: Settings) -> None:
    result = CliRunner().invoke(feeds_app, ["add", "file:///etc/passwd"])
    assert result.exit_code == 2
