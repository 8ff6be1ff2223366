"""A news site with an RSS feed, served by `LocalServer`: items can be added mid-test."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tests.integration.fetcher.local_server import LocalServer, Reply, SeenRequest, article_html


class FeedSite:
    def __init__(self, server: LocalServer, items: int) -> None:
        self.server = server
        self.count = 0
        self.not_modified = 0
        server.routes["/feed.xml"] = self._feed
        for _ in range(items):
            self.add_item()

    def item_url(self, n: int) -> str:
        # Tracking parameters, as real feeds add them: the article id must not depend on them.
        return self.server.url(f"/news/story-{n}?utm_source=rss&utm_medium=feed")

    def add_item(self) -> None:
        self.count += 1
        n = self.count
        self.server.routes[f"/news/story-{n}"] = lambda _r, n=n: Reply(
            body=article_html(f"Story number {n}").encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    @property
    def feed_url(self) -> str:
        return self.server.url("/feed.xml")

    def _xml(self) -> bytes:
        start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        items = "".join(
            f"<item><title>Story number {n}</title><link>{self.item_url(n)}</link>"
            f"<guid>story-{n}</guid>"
            f"<pubDate>{format_datetime(start + timedelta(hours=n))}</pubDate>"
            f"<description>&lt;p&gt;Summary of story {n}&lt;/p&gt;</description></item>"
            for n in range(self.count, 0, -1)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Local News</title><link>{self.server.origin}/</link>"
            f"<description>test feed</description>{items}</channel></rss>"
        ).encode()

    def _feed(self, request: SeenRequest) -> Reply:
        body = self._xml()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            self.not_modified += 1
            return Reply(304, headers={"ETag": etag})
        return Reply(body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag})
