"""A site added with `newsflow sources add`, polled by the running fetcher through its
sitemap index (one Google News sitemap, one gzipped) and feed, each article stored once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
from typer.testing import CliRunner

from newsflow_cli.main import app
from shared.settings import Settings, get_settings
from shared.streams import StreamNames
from tests.e2e.fetcher_support import FETCH_ENV, progress, stored
from tests.e2e.harness import running_stages, wait_until
from tests.integration.fetcher.local_server import local_server
from tests.integration.fetcher.sitemap_site import (
    GZIP_SITEMAP,
    NEWS_SITEMAP,
    PLAIN_SITEMAP,
    SITEMAP_INDEX,
    SitemapSite,
)

pytestmark = pytest.mark.e2e

SOURCE_ENV = {
    **FETCH_ENV,
    "NEWSFLOW_SOURCE_POLL_INTERVAL_S": "0.5",
    # The site's articles span 12 days: all of them are for polling here.
    "NEWSFLOW_SOURCE_POLL_MAX_AGE_S": str(30 * 86_400),
}


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """`newsflow` commands in this process on the test's Redis, store and prefix."""
    monkeypatch.setenv("REDIS_URL", settings.redis_url.get_secret_value())
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("NEWSFLOW_SQLITE_PATH", str(settings.sqlite_path))
    monkeypatch.setenv("NEWSFLOW_TABLE_NAME", settings.table_name)
    monkeypatch.setenv("NEWSFLOW_STREAM_PREFIX", settings.stream_prefix)
    for name, value in SOURCE_ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_a_source_is_discovered_polled_and_each_article_stored_once(
    cli_env: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    settings = cli_env
    names = StreamNames(settings.stream_prefix)
    runner = CliRunner()
    with local_server() as server:
        site = SitemapSite(server)
        added = runner.invoke(app, ["sources", "add", site.home, "--name", "harbour"])
        assert added.exit_code == 0, added.output
        shown = orjson.loads(runner.invoke(app, ["sources", "show", "harbour", "--json"]).stdout)
        assert {(d["url"], d["kind"]) for d in shown["source"]["discovered"]} == {
            (server.url("/feed.xml"), "feed"),
            (server.url(SITEMAP_INDEX), "sitemap_index"),
            (server.url(NEWS_SITEMAP), "sitemap"),
            (server.url(GZIP_SITEMAP), "sitemap"),
            (server.url(PLAIN_SITEMAP), "sitemap"),
        }

        with running_stages(settings, tmp_path / "logs", **SOURCE_ENV):
            urls = site.urls()
            try:
                wait_until(lambda: len(stored(settings, urls)) == 60, 120, "60 articles stored")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; {progress(client, settings)}") from exc
            events = stored(settings, urls)
            assert {e.source.name for e in events.values()} == {"harbour"}
            # The page says no date nor language: the news sitemap's are used; an archived
            # article gets its <lastmod>.
            newest = events[site.url_of(site.articles[0])]
            assert newest.article is not None
            assert newest.article.published_at == site.articles[0].published_at
            assert newest.article.language == "en"
            archived = events[site.url_of(site.articles[45])].article
            assert archived is not None
            assert archived.published_at == site.articles[45].published_at

            # Polled again and again: nothing is published twice.
            polls = len(server.requests_to(SITEMAP_INDEX))
            wait_until(
                lambda: len(server.requests_to(SITEMAP_INDEX)) >= polls + 3, 20, "three polls"
            )
            assert client.xlen(names.raw) == 60

            new = site.add_news_entry()
            wait_until(lambda: bool(stored(settings, [site.url_of(new)])), 60, "the new entry")
            polls = len(server.requests_to(SITEMAP_INDEX))
            wait_until(
                lambda: len(server.requests_to(SITEMAP_INDEX)) >= polls + 3, 20, "three polls"
            )
            assert client.xlen(names.raw) == 61
            assert all(len(server.requests_to(f"/articles/{n}")) == 1 for n in range(1, 62))

        figures = orjson.loads(runner.invoke(app, ["sources", "show", "harbour", "--json"]).stdout)
    assert (
        figures["figures"] | {"seen": 61, "stored": 61, "dead_lettered": {}} == figures["figures"]
    )
    assert figures["figures"]["last_error"] is None
