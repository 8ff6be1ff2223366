"""Sources against a real local site and a real Redis: discovery, polling, backfill."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import orjson
import pytest
from redis.asyncio import Redis

from services.fetcher.backfill import DateRange, backfill
from services.fetcher.discovery import discover
from services.fetcher.publish_once import OncePublisher
from services.fetcher.source_documents import read_sitemaps
from services.fetcher.source_poller import SourcePoller
from shared.events import RawSubmission
from shared.settings import Settings
from shared.sources import SourceRecord, SourceRegistry
from shared.streams import StreamNames
from tests.bombs import gzip_of_zeros
from tests.integration.fetcher.conftest import ClientFactory
from tests.integration.fetcher.feed_site import FeedSite
from tests.integration.fetcher.local_server import LocalServer, Reply, local_server, page
from tests.integration.fetcher.sitemap_site import (
    GZIP_SITEMAP,
    NEWS_SITEMAP,
    PLAIN_SITEMAP,
    SITEMAP_INDEX,
    SitemapSite,
)
from tests.unit.fetcher.test_sitemap_xml import BILLION_LAUGHS

pytestmark = pytest.mark.integration

MB = 1024 * 1024
MONTH_S = 30 * 86_400.0


async def published(redis: Redis, names: StreamNames) -> list[RawSubmission]:
    entries = await redis.xrange(names.raw)
    return [RawSubmission.model_validate(orjson.loads(fields[b"data"])) for _, fields in entries]


async def added_source(
    redis: Redis, names: StreamNames, site: SitemapSite, make_client: ClientFactory
) -> SourceRecord:
    found = await discover(await make_client(), site.home, sitemap_max_bytes=MB, max_documents=50)
    record = SourceRecord(
        name="harbour",
        url=site.home,
        feeds=found.feeds,
        sitemaps=found.sitemaps,
        discovered=found.discovered,
        refused=found.refused,
    )
    return await SourceRegistry(redis, names).add(record)


def poller_of(
    redis: Redis, names: StreamNames, client: object, max_age_s: float = MONTH_S
) -> SourcePoller:
    return SourcePoller(
        redis,
        names,
        client,  # type: ignore[arg-type]
        default_interval_s=60,
        seen_ttl_s=3600,
        sitemap_max_bytes=MB,
        max_documents=50,
        max_age_s=max_age_s,
    )


async def test_discovery_finds_the_feed_the_index_and_its_three_sitemaps(
    make_client: ClientFactory,
) -> None:
    with local_server() as server:
        site = SitemapSite(server)
        found = await discover(
            await make_client(), site.home, sitemap_max_bytes=MB, max_documents=50
        )
    assert found.feeds == [server.url("/feed.xml")]
    assert found.sitemaps == [server.url(SITEMAP_INDEX)]
    kinds = {(d.url, d.kind, d.found_by, d.entries) for d in found.discovered}
    assert kinds == {
        (server.url("/feed.xml"), "feed", "home page link", 10),
        (server.url(SITEMAP_INDEX), "sitemap_index", "robots.txt", 3),
        (server.url(NEWS_SITEMAP), "sitemap", "sitemap index", 20),
        (server.url(GZIP_SITEMAP), "sitemap", "sitemap index", 20),
        (server.url(PLAIN_SITEMAP), "sitemap", "sitemap index", 20),
    }
    # /sitemap.xml was tried too: the site has none, and that is said, not hidden.
    assert any("/sitemap.xml: http_404" in refusal for refusal in found.refused)


async def test_without_feed_links_the_usual_paths_are_tried(make_client: ClientFactory) -> None:
    with local_server() as server:
        server.routes["/"] = page("<html><body><p>No links here.</p></body></html>")
        feed = FeedSite(server, items=3)
        server.routes["/rss.xml"] = server.routes.pop("/feed.xml")
        found = await discover(
            await make_client(), server.url("/"), sitemap_max_bytes=MB, max_documents=50
        )
    assert found.feeds == [server.url("/rss.xml")]
    assert [(d.kind, d.found_by, d.entries) for d in found.discovered] == [
        ("feed", "usual path", 3)
    ]
    assert feed.count == 3
    assert any(r.startswith(server.url("/feed.xml")) for r in found.refused)


async def test_polling_publishes_each_article_once_with_its_hints(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = SitemapSite(server)
        record = await added_source(redis, names, site, make_client)
        poller = poller_of(redis, names, await make_client())

        assert await poller.poll(record) == 60
        first = await published(redis, names)
        assert sorted(s.url or "" for s in first) == sorted(site.urls())
        assert {s.source for s in first} == {"harbour"}
        newest = next(s for s in first if s.url == site.url_of(site.articles[0]))
        # The news sitemap's entry (title, date, language) wins over the feed's item.
        assert newest.via == "sitemap"
        assert newest.feed_url == server.url(NEWS_SITEMAP)
        assert newest.hint_title == "Harbour story 1"
        assert newest.hint_language == "en"
        assert newest.hint_published_at == site.articles[0].published_at
        archived = next(s for s in first if s.url == site.url_of(site.articles[30]))
        assert archived.feed_url == server.url(GZIP_SITEMAP)
        assert archived.hint_published_at == site.articles[30].published_at

        assert await poller.poll(record) == 0
        assert len(await published(redis, names)) == 60

        new = site.add_news_entry()
        assert await poller.poll(record) == 1
        after = await published(redis, names)
        assert len(after) == 61 and after[-1].url == site.url_of(new)

        registry = SourceRegistry(redis, names)
        assert (await registry.published())[record.key] == 61
        state = await registry.state(record)
        assert state.last_success_at is not None and state.last_error is None
        assert {url: d.entries for url, d in state.documents.items()} == {
            server.url(SITEMAP_INDEX): 3,
            server.url(NEWS_SITEMAP): 21,
            server.url(GZIP_SITEMAP): 20,
            server.url(PLAIN_SITEMAP): 20,
            server.url("/feed.xml"): 10,
        }


async def test_two_replicas_share_a_source_one_poll_per_interval(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = SitemapSite(server)
        await added_source(redis, names, site, make_client)
        one = poller_of(redis, names, await make_client())
        other = poller_of(redis, names, await make_client())
        polls_before = len(server.requests_to(SITEMAP_INDEX))
        results = [await one.poll_due(), await other.poll_due()]
        assert sorted(results) == [0, 60]
        assert len(server.requests_to(SITEMAP_INDEX)) == polls_before + 1
        assert len(await published(redis, names)) == 60


async def test_a_poll_leaves_what_is_older_than_its_age_to_backfill(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = SitemapSite(server)
        record = await added_source(redis, names, site, make_client)
        poller = poller_of(redis, names, await make_client(), max_age_s=5 * 86_400)
        since = datetime.now(UTC) - timedelta(days=5)
        expected = {site.url_of(a) for a in site.articles if a.published_at >= since}
        read_by_discovery = len(server.requests_to(PLAIN_SITEMAP))
        assert await poller.poll(record) == len(expected)
        assert {s.url for s in await published(redis, names)} == expected
        # The plain archive (days 8 to 12) was not even fetched: its index lastmod is older.
        assert len(server.requests_to(PLAIN_SITEMAP)) == read_by_discovery


async def test_backfill_publishes_exactly_the_range_then_nothing(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        site = SitemapSite(server)
        record = await added_source(redis, names, site, make_client)
        registry = SourceRegistry(redis, names)
        publisher = OncePublisher(redis, names, 3600)
        first_day = (site.now - timedelta(days=9)).date()
        dates = DateRange(
            datetime.combine(first_day, time(), UTC),
            datetime.combine(first_day + timedelta(days=5), time(), UTC),
        )
        expected = {site.url_of(a) for a in site.articles if a.published_at in dates}
        assert 15 <= len(expected) <= 30

        client = await make_client()
        report = await backfill(
            record, client, registry, publisher, dates, sitemap_max_bytes=MB, max_documents=50
        )
        assert report.published == len(expected)
        assert {s.url for s in await published(redis, names)} == expected

        again = await backfill(
            record, client, registry, publisher, dates, sitemap_max_bytes=MB, max_documents=50
        )
        assert again.published == 0 and again.already_published == len(expected)
        assert len(await published(redis, names)) == len(expected)


def hostile_site(server: LocalServer, elsewhere: LocalServer) -> list[str]:
    """An index whose children are one good sitemap and six hostile ones."""
    good = [server.url(f"/good/{n}") for n in range(5)]
    children = {
        "/good.xml": "".join(f"<url><loc>{url}</loc></url>" for url in good),
        "/laughs.xml": None,
        "/huge.xml": None,
        "/loop.xml": None,
        "/not-xml.xml": None,
        "/bomb.xml.gz": None,
    }
    urls = [server.url(path) for path in children] + [elsewhere.url("/sitemap.xml")]
    server.routes["/robots.txt"] = lambda _r: Reply(
        body=f"Sitemap: {server.url('/index.xml')}\n".encode()
    )
    server.routes["/index.xml"] = lambda _r: Reply(
        body=(
            "<sitemapindex>"
            + "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in urls)
            + "</sitemapindex>"
        ).encode(),
        headers={"Content-Type": "application/xml"},
    )
    server.routes["/good.xml"] = lambda _r: Reply(
        body=f"<urlset>{children['/good.xml']}</urlset>".encode(),
        headers={"Content-Type": "text/xml"},
    )
    server.routes["/laughs.xml"] = lambda _r: Reply(body=BILLION_LAUGHS)
    # 1 GiB of entries, never held in memory by the server; the client stops at its cap.
    entry = b"<url><loc>https://example.com/endless</loc></url>" * 1000
    server.routes["/huge.xml"] = lambda _r: Reply(
        body=b"<urlset>",
        headers={"Content-Type": "application/xml"},
        stream=lambda: (entry for _ in range((1 << 30) // len(entry))),
    )
    server.routes["/loop.xml"] = lambda _r: Reply(302, headers={"Location": "/loop.xml"})
    bomb = gzip_of_zeros(64)  # 64 KB that inflate to 64 MiB, over the 1 MB cap
    server.routes["/bomb.xml.gz"] = lambda _r: Reply(
        body=bomb, headers={"Content-Type": "application/gzip"}
    )
    server.routes["/not-xml.xml"] = lambda _r: Reply(
        body=b'{"this": "is json"}', headers={"Content-Type": "application/xml"}
    )
    elsewhere.routes["/sitemap.xml"] = lambda _r: Reply(
        body=b"<urlset><url><loc>http://127.0.0.1/admin</loc></url></urlset>"
    )
    return good


async def test_hostile_sitemaps_are_refused_with_a_reason_and_the_rest_goes_on(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server, local_server() as elsewhere:
        good = hostile_site(server, elsewhere)
        # Only the site's own port is allowed: the other server on 127.0.0.1 is what an
        # internal service looks like.
        client = await make_client(allow=f"127.0.0.1:{server.port}")
        record = await SourceRegistry(redis, names).add(
            SourceRecord(name="hostile", url=server.url("/"), sitemaps=[server.url("/index.xml")])
        )
        assert await poller_of(redis, names, client).poll(record) == 5
        assert {s.url for s in await published(redis, names)} == set(good)

        state = await SourceRegistry(redis, names).state(record)
        reasons = {
            url.rsplit("/", 1)[-1]: (d.error or "ok").split(":", 1)[0]
            for url, d in state.documents.items()
        }
        assert reasons == {
            "index.xml": "ok",
            "good.xml": "ok",
            "laughs.xml": "xml_dtd",
            "huge.xml": "too_large",
            "loop.xml": "too_many_redirects",
            "not-xml.xml": "not_xml",
            "bomb.xml.gz": "too_large",
            "sitemap.xml": "ssrf",
        }
        assert elsewhere.connections == 0
        assert state.last_success_at is not None
        assert state.last_error is not None and "xml_dtd" in state.last_error
        # The huge stream was cut at the cap (1 MB), far from its 1 GiB.
        assert len(server.requests_to("/huge.xml")) == 1


async def test_a_walk_holds_at_most_max_entries_and_says_where_it_stopped(
    make_client: ClientFactory,
) -> None:
    # The index lists three sitemaps of 20; a cap of 30 takes the first and 10 of the second.
    with local_server() as server:
        site = SitemapSite(server)
        read = await read_sitemaps(
            await make_client(),
            [server.url(SITEMAP_INDEX)],
            max_bytes=MB,
            max_documents=50,
            max_entries=30,
        )
        assert server.requests_to(PLAIN_SITEMAP) == []  # the walk stopped before it
    assert [a.url for a in read.articles] == site.urls()[:30]
    outcomes = {o.url.removeprefix(server.origin): o for o in read.outcomes}
    assert list(outcomes) == [SITEMAP_INDEX, NEWS_SITEMAP, GZIP_SITEMAP, PLAIN_SITEMAP]
    assert outcomes[NEWS_SITEMAP].error is None
    cut = outcomes[GZIP_SITEMAP]
    assert cut.error == "too_many_entries: only 10 of its 20 entries read, 30 in all"
    assert cut.etag is None  # read whole next time, not answered with a 304
    assert outcomes[PLAIN_SITEMAP].error == "too_many_entries: 30 already read"


async def test_a_failed_feeds_credentials_are_not_kept_in_the_last_error(
    settings: Settings, redis: Redis, make_client: ClientFactory
) -> None:
    names = StreamNames(settings.stream_prefix)
    with local_server() as server:
        feed = f"http://feeduser:hunter2@127.0.0.1:{server.port}/gone.xml?api_key=KEY123"
        record = await SourceRegistry(redis, names).add(
            SourceRecord(name="private", url=server.url("/"), feeds=[feed])
        )
        await poller_of(redis, names, await make_client()).poll(record)
    state = await SourceRegistry(redis, names).state(record)
    # The state is shown by the open /api/sources and logged as the poll fails.
    assert state.last_error is not None and "gone.xml" in state.last_error
    assert "hunter2" not in state.last_error and "KEY123" not in state.last_error
