"""`newsflow sources add/list/show/remove` and `newsflow backfill` against a real local site
and a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest
import redis
from typer.testing import CliRunner

from newsflow_cli.main import app
from shared.settings import Settings, get_settings
from shared.streams import StreamNames
from tests.integration.fetcher.local_server import local_server, page
from tests.integration.fetcher.sitemap_site import SITEMAP_INDEX, SitemapSite

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("REDIS_URL", settings.redis_url.get_secret_value())
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("NEWSFLOW_SQLITE_PATH", str(settings.sqlite_path))
    monkeypatch.setenv("NEWSFLOW_STREAM_PREFIX", settings.stream_prefix)
    monkeypatch.setenv("NEWSFLOW_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("NEWSFLOW_FETCH_HOST_INTERVAL_S", "0")
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    keys = list(client.scan_iter(match=f"{settings.stream_prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def raw_urls(settings: Settings) -> list[str]:
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        entries = client.xrange(StreamNames(settings.stream_prefix).raw)
    finally:
        client.close()
    return [orjson.loads(fields[b"data"])["url"] for _, fields in entries]


def test_add_show_backfill_twice_and_remove(cli_env: Settings) -> None:
    runner = CliRunner()
    wide = {"COLUMNS": "250"}
    with local_server() as server:
        site = SitemapSite(server)
        added = runner.invoke(app, ["sources", "add", site.home, "--name", "harbour"], env=wide)
        assert added.exit_code == 0, added.output
        assert "following" in added.output and "harbour" in added.output
        for path in ("/feed.xml", SITEMAP_INDEX, "/sitemaps/news.xml", "archive-1.xml.gz"):
            assert path in added.output

        shown = runner.invoke(app, ["sources", "show", "harbour", "--json"])
        assert shown.exit_code == 0, shown.output
        document = orjson.loads(shown.stdout)
        assert document["source"]["feeds"] == [server.url("/feed.xml")]
        assert document["source"]["sitemaps"] == [server.url(SITEMAP_INDEX)]
        assert len(document["source"]["discovered"]) == 5
        assert document["figures"]["seen"] == 0

        first_day = (site.now - timedelta(days=6)).date()
        last_day = first_day + timedelta(days=4)  # five whole days
        expected = {
            site.url_of(a) for a in site.articles if first_day <= a.published_at.date() <= last_day
        }
        command = ["backfill", "harbour", "--from", str(first_day), "--to", str(last_day)]
        ran = runner.invoke(app, command)
        assert ran.exit_code == 0, ran.output
        assert f"{len(expected)} published, 0 already published" in ran.stdout
        assert set(raw_urls(cli_env)) == expected and len(raw_urls(cli_env)) == len(expected)

        again = runner.invoke(app, command)
        assert again.exit_code == 0, again.output
        assert f"0 published, {len(expected)} already published" in again.stdout
        assert len(raw_urls(cli_env)) == len(expected)

        listed = runner.invoke(app, ["sources", "list", "--json"])
        assert orjson.loads(listed.stdout)["seen"] == len(expected)
        status = orjson.loads(runner.invoke(app, ["status", "--json"]).stdout)
        assert [(s["name"], s["seen"]) for s in status["sources"]] == [("harbour", len(expected))]
        table = runner.invoke(app, ["status"], env=wide)
        assert table.exit_code == 0 and "harbour" in table.stdout

    removed = runner.invoke(app, ["sources", "remove", "harbour"])
    assert removed.exit_code == 0, removed.output
    assert "no sources" in runner.invoke(app, ["sources", "list"]).output
    assert runner.invoke(app, ["sources", "remove", "harbour"]).exit_code == 1


def test_a_site_with_nothing_to_follow_is_not_added(cli_env: Settings) -> None:
    with local_server() as server:
        server.routes["/"] = page("<html><body>hello</body></html>")
        result = CliRunner().invoke(app, ["sources", "add", server.url("/")])
    assert result.exit_code == 1
    assert "no feed or sitemap found" in result.output
    assert "http_404" in result.output  # /sitemap.xml and the usual feed paths, with why


def test_bad_dates_and_unknown_sources(cli_env: Settings) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["backfill", "x", "--from", "yesterday", "--to", "2026-11-01"])
    assert bad.exit_code == 2 and "not a date" in bad.output
    backwards = runner.invoke(app, ["backfill", "x", "--from", "2026-11-05", "--to", "2026-11-01"])
    assert backwards.exit_code == 2
    unknown = runner.invoke(app, ["backfill", "x", "--from", "2026-11-01", "--to", "2026-11-02"])
    assert unknown.exit_code == 1 and "no source 'x'" in unknown.output
    assert runner.invoke(app, ["sources", "show", "x"]).exit_code == 1
    assert runner.invoke(app, ["sources", "add", "file:///etc/passwd"]).exit_code == 2


def test_without_the_allow_setting_a_loopback_site_is_refused_as_ssrf(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_FETCH_ALLOW_NETWORKS", "")
    get_settings.cache_clear()
    with local_server() as server:
        SitemapSite(server)
        result = CliRunner().invoke(app, ["sources", "add", server.url("/")])
        assert server.connections == 0
    assert result.exit_code == 1
    assert "no feed or sitemap found" in result.output
    assert "ssrf" in result.output


def test_a_credential_in_the_source_url_is_shown_by_no_sources_command(cli_env: Settings) -> None:
    # Discovery derives every feed and sitemap URL from the one given, carrying its
    # password; the refused probes (/sitemap.xml's 404) quote them too.
    runner = CliRunner()
    wide = {"COLUMNS": "250"}
    with local_server() as server:
        SitemapSite(server)
        secret_home = server.url("/?api_key=s3cret").replace("://", "://reader:hunter2@")
        added = runner.invoke(app, ["sources", "add", secret_home, "--name", "harbour"], env=wide)
        assert added.exit_code == 0, added.output
        shown_json = runner.invoke(app, ["sources", "show", "harbour", "--json"])
        shown = runner.invoke(app, ["sources", "show", "harbour"], env=wide)
        document = orjson.loads(shown_json.stdout)
        removed = runner.invoke(app, ["sources", "remove", "harbour"])
    assert document["source"]["feeds"] == [server.url("/feed.xml").replace("://", "://reader:***@")]
    assert document["source"]["refused"], "the usual paths' 404s are what it refused"
    for output in (added.output, shown_json.stdout, shown.output, removed.output):
        assert "hunter2" not in output and "s3cret" not in output
        assert "reader:***@" in output
