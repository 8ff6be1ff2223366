"""Shared by the fetcher's end-to-end tests: stage settings, a page site, store look-ups."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterable
from pathlib import Path

import orjson
import redis

from shared.events import ArticleEvent, RawSubmission, article_id_for_url
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import StreamNames
from shared.urls import normalize_url
from tests.integration.fetcher.local_server import LocalServer, Reply

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "fetcher" / "pages"
CORPUS = REPO.parent / "shared" / "corpus" / "mediacloud-2020"

# The test server is the one loopback address the stages may reach; no pause between
# requests, so a site's worth of pages does not take a second each.
FETCH_ENV = {
    "NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
    "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0",
    "NEWSFLOW_FETCH_HOST_CONCURRENCY": "8",
    "NEWSFLOW_FEED_POLL_INTERVAL_S": "0.5",
}


def serve_pages(server: LocalServer, html_gz_files: Iterable[Path]) -> list[str]:
    """Each page at /pages/<name>, as text/html with no charset: the page must say."""
    urls = []
    for path in html_gz_files:
        body = gzip.decompress(path.read_bytes())
        route = f"/pages/{path.name.removesuffix('.gz')}"
        server.routes[route] = lambda _r, body=body: Reply(
            body=body, headers={"Content-Type": "text/html"}
        )
        urls.append(server.url(route))
    return urls


def publish_urls(client: redis.Redis, settings: Settings, urls: Iterable[str]) -> None:
    names = StreamNames(settings.stream_prefix)
    for url in urls:
        submission = RawSubmission(url=url)
        client.xadd(names.raw, {"data": submission.to_json()})


def stored(settings: Settings, urls: Iterable[str]) -> dict[str, ArticleEvent]:
    """The stored event of each URL that has one."""

    async def read() -> dict[str, ArticleEvent]:
        async with opened_store(settings) as store:
            found = {}
            for url in urls:
                event = await store.get(article_id_for_url(normalize_url(url)))
                if event is not None:
                    found[url] = event
            return found

    return asyncio.run(read())


def dead_letters(client: redis.Redis, settings: Settings) -> list[dict[str, object]]:
    entries = client.xrange(StreamNames(settings.stream_prefix).dlq)
    return [orjson.loads(fields[b"data"]) for _, fields in entries]


def corpus_files() -> list[Path]:
    truth = json.loads((CORPUS / "ground-truth.json").read_text())
    return sorted(CORPUS / "html" / f"{meta['file']}.gz" for meta in truth.values())


def progress(client: redis.Redis, settings: Settings) -> str:
    """How far entries got, for the message of a test that timed out."""
    names = StreamNames(settings.stream_prefix)
    streams = ("raw", "fetched", "parsed", "enriched", "dlq")
    return ", ".join(f"{s}={client.xlen(names.stream(s))}" for s in streams)
