"""Reading a source's documents through the polite client: its sitemaps (indexes walked,
nested ones too) and its feeds, each into the article URLs it lists with their hints.

A document that fails (refused, unreachable, hostile) is recorded with its reason and the
walk goes on with the others: one bad sitemap never stops a source.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from services.fetcher.download import FEED_TYPES
from services.fetcher.feed_items import parse_feed_off_loop
from services.fetcher.polite_client import NotModified, PoliteClient
from services.fetcher.sitemap_xml import parse_sitemap
from shared.errors import Rejected
from shared.events import RawSubmission
from shared.secret_text import masked, masked_urls
from shared.sources import DocumentKind, DocumentState, SourceRecord
from shared.urls import normalize_url

# What servers call sitemaps: XML, gzip files, text, and the wrongly labelled.
SITEMAP_TYPES = frozenset(
    {
        "application/xml", "text/xml", "application/gzip", "application/x-gzip",
        "application/octet-stream", "text/plain", "text/html", "application/rss+xml",
        "application/atom+xml",
    }
)  # fmt: skip
# Index -> index -> sitemap is the deepest real sites go; deeper is a loop or a trap.
MAX_NESTING = 3
# Sitemap entries held per walk (a source's poll or backfill), about 300 bytes each: every
# entry is kept until the walk ends, and 500 sitemaps of 50,000 would be 25 million.
MAX_SITEMAP_ENTRIES = 250_000


@dataclass(frozen=True)
class FoundArticle:
    """An article URL a document lists, with what the document says about it."""

    url: str
    via: Literal["sitemap", "feed"]
    document_url: str
    title: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    summary: str | None = None

    def submission(self, record: SourceRecord) -> RawSubmission:
        return RawSubmission(
            url=self.url,
            source=record.name,
            via=self.via,
            feed_url=masked_urls(self.document_url),  # a hint: no credential on the stream
            hint_title=self.title,
            hint_published_at=self.published_at,
            hint_language=self.language,
            hint_summary=self.summary,
        )


@dataclass
class DocumentOutcome:
    url: str
    kind: DocumentKind | None
    entries: int = 0
    error: str | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None

    def state(self, before: DocumentState | None) -> DocumentState:
        if self.not_modified and before is not None:
            return before.model_copy(update={"error": None})
        return DocumentState(
            kind=self.kind or (before.kind if before else None),
            etag=self.etag,
            last_modified=self.last_modified,
            entries=self.entries,
            error=self.error,
        )


@dataclass
class DocumentsRead:
    articles: list[FoundArticle] = field(default_factory=list)
    outcomes: list[DocumentOutcome] = field(default_factory=list)

    @property
    def errors(self) -> list[DocumentOutcome]:
        return [outcome for outcome in self.outcomes if outcome.error]


OnDocument = Callable[[DocumentOutcome], None]


def _conditional(state: DocumentState | None) -> dict[str, str]:
    headers = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def refusal_text(exc: Exception) -> str:
    """`reason: message` of a document's failure, any password in a quoted URL masked: it
    is kept in the source's state and shown by `sources show` and the api."""
    if isinstance(exc, Rejected):
        return masked(str(exc))[:500]
    return masked(f"unreachable: {type(exc).__name__}: {exc}")[:500]


async def read_sitemaps(
    client: PoliteClient,
    roots: list[str],
    *,
    max_bytes: int,
    max_documents: int,
    max_entries: int = MAX_SITEMAP_ENTRIES,
    since: datetime | None = None,
    known: Mapping[str, DocumentState] | None = None,
    on_document: OnDocument | None = None,
) -> DocumentsRead:
    """Every entry of the sitemaps under `roots`, up to `max_entries` in all: the walk stops
    there, saying so. A child an index dates before `since` is not fetched (a sitemap last
    changed before then lists nothing newer); a leaf sitemap `known` from an earlier poll is
    asked for with its ETag, and a 304 costs nothing."""
    read = DocumentsRead()
    sitemaps = client.reading_up_to(max_bytes)
    queue: list[tuple[str, int]] = [(url, 0) for url in roots]
    visited: set[str] = set()
    while queue:
        url, nesting = queue.pop(0)
        if normalize_url(url) in visited:
            continue
        visited.add(normalize_url(url))
        if len(visited) > max_documents:
            read.outcomes.append(
                DocumentOutcome(url, None, error=f"too_many_documents: over {max_documents}")
            )
            break
        if len(read.articles) >= max_entries:
            read.outcomes.append(
                DocumentOutcome(url, None, error=f"too_many_entries: {max_entries} already read")
            )
            break
        before = (known or {}).get(url)
        # Indexes are always read again: a child sitemap may change while its index does not.
        headers = _conditional(before) if before and before.kind == "sitemap" else {}
        outcome = DocumentOutcome(url, before.kind if before else None)
        try:
            result = await sitemaps.get(url, accepted_types=SITEMAP_TYPES, headers=headers)
            if isinstance(result, NotModified):
                outcome.not_modified = True
            else:
                outcome.etag, outcome.last_modified = result.etag, result.last_modified
                # In a thread: 50,000 entries take a CPU-second or two, and the fetcher's
                # event loop has pages to fetch meanwhile.
                document = await asyncio.to_thread(
                    parse_sitemap, result.body, result.final_url, max_bytes=max_bytes
                )
                if document.kind == "index":
                    outcome.kind, outcome.entries = "sitemap_index", len(document.children)
                    if nesting + 1 > MAX_NESTING and document.children:
                        raise Rejected("too_nested", f"sitemap indexes nest over {MAX_NESTING}")
                    queue.extend(
                        (child.url, nesting + 1)
                        for child in document.children
                        if since is None or child.lastmod is None or child.lastmod >= since
                    )
                else:
                    outcome.kind, outcome.entries = "sitemap", len(document.entries)
                    room = max_entries - len(read.articles)
                    read.articles.extend(
                        FoundArticle(
                            url=entry.url,
                            via="sitemap",
                            document_url=url,
                            title=entry.title,
                            published_at=entry.date,
                            language=entry.language,
                        )
                        for entry in document.entries[:room]
                    )
                    if len(document.entries) > room:
                        # Without its ETag: the next walk reads it whole, not a 304.
                        outcome.etag = outcome.last_modified = None
                        outcome.error = (
                            f"too_many_entries: only {room} of its {len(document.entries)} "
                            f"entries read, {max_entries} in all"
                        )
        except Exception as exc:  # each document's failure is its own; the walk goes on
            outcome.error = refusal_text(exc)
        read.outcomes.append(outcome)
        if on_document is not None:
            on_document(outcome)
    return read


async def read_feeds(
    client: PoliteClient,
    urls: list[str],
    *,
    known: Mapping[str, DocumentState] | None = None,
    on_document: OnDocument | None = None,
) -> DocumentsRead:
    read = DocumentsRead()
    for url in urls:
        before = (known or {}).get(url)
        outcome = DocumentOutcome(url, "feed")
        try:
            result = await client.get(url, accepted_types=FEED_TYPES, headers=_conditional(before))
            if isinstance(result, NotModified):
                outcome.not_modified = True
            else:
                outcome.etag, outcome.last_modified = result.etag, result.last_modified
                parsed = await parse_feed_off_loop(result.body, result.final_url)
                outcome.entries = len(parsed.items)
                read.articles.extend(
                    FoundArticle(
                        url=item.url,
                        via="feed",
                        document_url=url,
                        title=item.title,
                        published_at=item.published_at,
                        summary=item.summary,
                    )
                    for item in parsed.items
                )
        except Exception as exc:
            outcome.error = refusal_text(exc)
        read.outcomes.append(outcome)
        if on_document is not None:
            on_document(outcome)
    return read
