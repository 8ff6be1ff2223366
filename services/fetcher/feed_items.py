"""What a feed document lists: one `FeedItem` per entry with a link, via feedparser."""

from __future__ import annotations

import asyncio
import calendar
import html
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser  # type: ignore[import-untyped]

from shared.urls import is_http_url

_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_MAX_SUMMARY_CHARS = 2000
# Items kept per feed document, the first ones (feeds list the newest first): real feeds
# list tens or hundreds, and each item kept is a submission to publish and remember.
MAX_ITEMS = 10_000


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str | None = None
    published_at: datetime | None = None
    summary: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: list[FeedItem]


async def parse_feed_off_loop(body: bytes, feed_url: str) -> ParsedFeed:
    """`parse_feed` in a thread: feedparser takes seconds over a hostile feed (a description
    of 300k tags, 200k items), and the fetcher's event loop has pages to fetch meanwhile."""
    return await asyncio.to_thread(parse_feed, body, feed_url)


def parse_feed(body: bytes, feed_url: str) -> ParsedFeed:
    """Entries without an http(s) link are skipped: there is nothing to fetch. The first
    `MAX_ITEMS` with one are kept, the rest ignored."""
    parsed = feedparser.parse(body, response_headers={"content-location": feed_url})
    items: list[FeedItem] = []
    for entry in parsed.entries:
        if len(items) >= MAX_ITEMS:
            break
        url = _entry_url(entry, feed_url)
        if url is None:
            continue
        items.append(
            FeedItem(
                url=url,
                title=_clean(entry.get("title")),
                published_at=_entry_time(entry),
                summary=_clean(entry.get("summary"), limit=_MAX_SUMMARY_CHARS),
            )
        )
    return ParsedFeed(title=_clean(parsed.feed.get("title")), items=items)


def _entry_url(entry: Any, feed_url: str) -> str | None:
    for candidate in (entry.get("link"), entry.get("id")):
        if isinstance(candidate, str) and candidate.strip():
            url = urljoin(feed_url, candidate.strip())
            if is_http_url(url):
                return url
    return None


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            # feedparser gives UTC struct_times; timegm reads them as such.
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (ValueError, OverflowError, OSError):
                # 9999-12-31T23:59:59-12:00 is in year 10000 once in UTC, past what a
                # datetime holds: a date no article has, so this one is not taken.
                continue
    return None


def _clean(value: object, *, limit: int | None = None) -> str | None:
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()
    if limit is not None and len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text or None
