"""Backfill: publish a source's sitemap entries and feed items dated in a range.

Politely (the same client, robots.txt and host gates as the fetcher), and resumable: it
publishes through the same publish-once record as the pollers, so a second run, or a run
after polling already found some of them, publishes only what is still new. Undated entries
are left out: the range cannot say they belong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.fetcher.polite_client import PoliteClient
from services.fetcher.publish_once import OncePublisher
from services.fetcher.source_documents import (
    DocumentOutcome,
    FoundArticle,
    read_feeds,
    read_sitemaps,
)
from services.fetcher.source_poller import first_of_each_url
from shared.backpressure import RoomGate
from shared.sources import SourceRecord, SourceRegistry


@dataclass
class BackfillReport:
    documents: int = 0
    listed: int = 0
    in_range: int = 0
    published: int = 0
    already_published: int = 0
    errors: list[str] = field(default_factory=list)


class BackfillProgress:
    """What a progress display is told; the default tells nobody."""

    def document_read(self, outcome: DocumentOutcome) -> None:
        pass

    def entries_found(self, total: int) -> None:
        pass

    def entry_done(self, published: bool) -> None:
        pass


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime  # exclusive

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


async def backfill(
    record: SourceRecord,
    client: PoliteClient,
    registry: SourceRegistry,
    publisher: OncePublisher,
    dates: DateRange,
    *,
    sitemap_max_bytes: int,
    max_documents: int,
    progress: BackfillProgress | None = None,
    room: RoomGate | None = None,
) -> BackfillReport:
    progress = progress or BackfillProgress()
    report = BackfillReport()
    sitemaps = await read_sitemaps(
        client,
        record.sitemaps,
        max_bytes=sitemap_max_bytes,
        max_documents=max_documents,
        since=dates.start,  # a sitemap last changed before the range lists nothing in it
        on_document=progress.document_read,
    )
    feeds = await read_feeds(client, record.feeds, on_document=progress.document_read)
    found: list[FoundArticle] = [*sitemaps.articles, *feeds.articles]
    outcomes = [*sitemaps.outcomes, *feeds.outcomes]
    report.documents = len(outcomes)
    report.errors = [f"{o.url}: {o.error}" for o in outcomes if o.error]
    report.listed = len(found)
    wanted = [a for a in first_of_each_url(found) if a.published_at in dates]
    report.in_range = len(wanted)
    progress.entries_found(len(wanted))
    counter = (registry.published_key, record.key)
    for article in wanted:
        if room is not None:
            await room.wait()
        published = await publisher.publish(article.submission(record), counter=counter)
        if published:
            report.published += 1
        else:
            report.already_published += 1
        progress.entry_done(published)
    return report
