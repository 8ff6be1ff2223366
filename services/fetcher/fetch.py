"""The fetcher's work on one raw entry: pass content on, or download the URL."""

from __future__ import annotations

from services.fetcher.intake import event_from_content, event_from_download
from services.fetcher.polite_client import NotModified, PoliteClient
from services.fetcher.seen import SeenSet
from shared.errors import Rejected
from shared.events import ArticleEvent
from shared.logs import get_logger
from shared.ssrf import refusal_of_scheme
from shared.streams import Fields, decode_raw_entry
from shared.urls import is_http_url, normalize_url

log = get_logger("newsflow.fetcher")


async def fetch_entry(
    fields: Fields,
    client: PoliteClient,
    seen_urls: SeenSet,
    *,
    max_bytes: int,
    entry_id: str = "",
) -> ArticleEvent | None:
    """The first event for a raw entry, or None when its URL was fetched within the seen
    window by another entry (this one is then acknowledged with nothing forwarded)."""
    submission = decode_raw_entry(fields)
    if submission.content and submission.content.strip():
        return event_from_content(submission, max_bytes=max_bytes)
    url = (submission.url or "").strip()
    if refusal := refusal_of_scheme(url):
        raise Rejected("ssrf", refusal)
    if not is_http_url(url):
        raise Rejected("invalid_url", f"not a fetchable URL: {url[:200]!r}")
    canonical = normalize_url(url)
    if await seen_urls.contains(canonical, unless_owner=entry_id):
        log.info("already_fetched", url=canonical)
        return None
    download = await client.get(url)
    if isinstance(download, NotModified):  # only a conditional GET gets one
        raise RuntimeError(f"unexpected 304 for {url}")
    event = event_from_download(submission, download)
    # Remembered only once fetched: an entry that fails and is retried must not be skipped.
    await seen_urls.remember(canonical, event.source.url or canonical, owner=entry_id)
    return event
