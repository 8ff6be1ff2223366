"""`fetch_entry`, the fetcher stage's work: raw entry in, first event out (or a reason)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import orjson
import pytest
from redis.asyncio import Redis

from services.fetcher.fetch import fetch_entry
from services.fetcher.seen import SeenSet
from shared.errors import Rejected
from shared.events import article_id_for_url
from shared.redis_connection import redis_client
from shared.settings import Settings
from shared.streams import StreamNames
from tests.integration.fetcher.conftest import ClientFactory
from tests.integration.fetcher.local_server import Reply, article_html, local_server, page

pytestmark = pytest.mark.integration


@pytest.fixture
async def seen_urls(settings: Settings) -> AsyncIterator[SeenSet]:
    redis: Redis = redis_client(settings)
    names = StreamNames(settings.stream_prefix)
    yield SeenSet(redis, names, "url", ttl_s=60)
    keys = [key async for key in redis.scan_iter(match=f"{names.prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def entry(**fields: object) -> dict[str, bytes]:
    return {"data": orjson.dumps(fields)}


async def test_a_downloaded_page_becomes_an_event_with_its_bytes_and_charset(
    make_client: ClientFactory, seen_urls: SeenSet
) -> None:
    html = article_html("Ünïcode story").encode("utf-8")
    with local_server() as server:
        server.routes["/a"] = lambda _r: Reply(302, headers={"Location": "/story/"})
        server.routes["/story/"] = lambda _r: Reply(
            body=html, headers={"Content-Type": "text/html; charset=utf-8"}
        )
        event = await fetch_entry(
            entry(url=server.url("/a?utm_source=x"), trace_id="t-1"),
            await make_client(),
            seen_urls,
            max_bytes=1_000_000,
        )
    assert event is not None
    canonical = server.url("/story")  # trailing slash and tracking parameters gone
    assert event.id == article_id_for_url(canonical)
    assert event.source.url == canonical
    assert event.trace_id == "t-1"
    assert event.raw.final_url == server.url("/story/")
    assert event.raw.fetched_url == server.url("/a?utm_source=x")
    assert event.raw.status_code == 200
    assert event.raw.encoding == "utf-8"
    assert base64.b64decode(event.raw.content_b64 or "") == html


async def test_a_url_fetched_within_the_window_is_not_fetched_again(
    make_client: ClientFactory, seen_urls: SeenSet
) -> None:
    with local_server() as server:
        server.routes["/story"] = page(article_html("Once"))
        client = await make_client()
        first = await fetch_entry(
            entry(url=server.url("/story")), client, seen_urls, max_bytes=10**6
        )
        again = await fetch_entry(
            entry(url=server.url("/story?fbclid=abc")), client, seen_urls, max_bytes=10**6
        )
        assert first is not None
        assert again is None
        assert len(server.requests_to("/story")) == 1


async def test_a_failed_fetch_is_not_remembered(
    make_client: ClientFactory, seen_urls: SeenSet
) -> None:
    with local_server() as server:
        answers = iter([Reply(500, b"oops")])
        ok = page(article_html("Later"))
        server.routes["/story"] = lambda r: next(answers, None) or ok(r)
        client = await make_client()
        with pytest.raises(Exception) as caught:
            await fetch_entry(entry(url=server.url("/story")), client, seen_urls, max_bytes=10**6)
        assert not isinstance(caught.value, Rejected)  # transient: the runner retries it
        retried = await fetch_entry(
            entry(url=server.url("/story")), client, seen_urls, max_bytes=10**6
        )
    assert retried is not None


async def test_feed_hints_travel_in_the_source_section(
    make_client: ClientFactory, seen_urls: SeenSet
) -> None:
    with local_server() as server:
        server.routes["/story"] = page(article_html("Hinted"))
        event = await fetch_entry(
            entry(
                url=server.url("/story"),
                via="feed",
                feed_url=server.url("/feed.xml"),
                hint_title="Hinted",
                hint_published_at="2026-11-01T08:00:00Z",
                hint_summary="A summary",
            ),
            await make_client(),
            seen_urls,
            max_bytes=10**6,
        )
    assert event is not None
    source = event.model_dump(mode="json")["source"]
    assert source["via"] == "feed"
    assert source["feed_url"] == server.url("/feed.xml")
    assert source["hints"] == {
        "title": "Hinted",
        "published_at": "2026-11-01T08:00:00Z",
        "summary": "A summary",
    }


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1/", "ftp://x/y"])
async def test_non_http_schemes_are_refused_as_ssrf(
    make_client: ClientFactory, seen_urls: SeenSet, url: str
) -> None:
    with pytest.raises(Rejected) as caught:
        await fetch_entry(entry(url=url), await make_client(), seen_urls, max_bytes=10**6)
    assert caught.value.reason == "ssrf"


async def test_content_in_hand_is_passed_through_without_fetching(
    make_client: ClientFactory, seen_urls: SeenSet
) -> None:
    event = await fetch_entry(
        entry(url="http://169.254.169.254/never-fetched", content="<p>Given text</p>"),
        await make_client(allow=""),
        seen_urls,
        max_bytes=10**6,
    )
    assert event is not None
    assert event.raw.content == "<p>Given text</p>"


async def test_archived_bytes_are_passed_on_as_a_download_without_fetching_their_url(
    make_client: ClientFactory, seen_urls: SeenSet
) -> None:
    """What `newsflow import` publishes: the URL names the page, it is not downloaded."""
    html = article_html("Архивная статья").encode("cp1251")
    with local_server() as server:
        server.routes["/archived"] = page(article_html("The live page, not the archived one"))
        event = await fetch_entry(
            entry(
                url=server.url("/archived"),
                content_b64=base64.b64encode(html).decode(),
                charset="windows-1251",
                content_type="text/html",
                via="archive",
                hint_captured_at="2024-05-01T12:00:00Z",
            ),
            await make_client(),
            seen_urls,
            max_bytes=1_000_000,
        )
        assert server.requests_to("/archived") == []
    assert event is not None
    assert event.id == article_id_for_url(server.url("/archived"))
    assert event.raw.encoding == "cp1251"
    assert base64.b64decode(event.raw.content_b64 or "") == html
    assert (event.source.model_extra or {})["hints"]["captured_at"].year == 2024
