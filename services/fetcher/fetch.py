"""The fetcher's work on one raw entry: pass content on, or download the URL."""

from __future__ import annotations

import httpx

from shared.errors import Rejected
from shared.events import ArticleEvent
from shared.streams import Fields, decode_raw_entry
from shared.urls import is_http_url
from services.fetcher.download import FetchLimits, download
from services.fetcher.intake import event_from_content, event_from_download


async def fetch_entry(
    fields: Fields, client: httpx.AsyncClient, limits: FetchLimits
) -> ArticleEvent:
    submission = decode_raw_entry(fields)
    if submission.content and submission.content.strip():
        return event_from_content(submission, max_bytes=limits.max_bytes)
    url = (submission.url or "").strip()
    if not is_http_url(url):
        raise Rejected("unsupported_url", f"not an http(s) URL: {url[:200]!r}")
    return event_from_download(submission, await download(client, url, limits))
