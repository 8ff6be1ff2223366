"""`newsflow backfill SOURCE --from DATE --to DATE`: a source's past articles, published once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from newsflow_cli.console import err, out
from newsflow_cli.running import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    fail,
    load_settings,
    redis_connection,
    run_async,
)
from services.fetcher.backfill import BackfillProgress, BackfillReport, DateRange, backfill
from services.fetcher.clients import opened_polite_client
from services.fetcher.publish_once import OncePublisher
from services.fetcher.source_documents import DocumentOutcome
from shared.backpressure import RoomGate
from shared.secret_text import masked_urls
from shared.sources import SourceRegistry
from shared.streams import StreamNames


def date_range(start: str, end: str) -> DateRange:
    """`--from 2026-11-01 --to 2026-11-05`: both days whole (UTC); a date-time is exact."""
    first, last = _moment(start, "--from"), _moment(end, "--to")
    if len(end.strip()) == 10:  # a day: through its end
        last += timedelta(days=1)
    if last <= first:
        raise fail("--to must not be before --from", EXIT_CANNOT_RUN)
    return DateRange(first, last)


def _moment(text: str, option: str) -> datetime:
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(), UTC)
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)", EXIT_CANNOT_RUN) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Bar(BackfillProgress):
    """Sitemaps read (their number is known only as the indexes are read), then entries."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.reading: TaskID = progress.add_task("reading sitemaps and feeds", total=None)
        self.publishing: TaskID | None = None

    def document_read(self, outcome: DocumentOutcome) -> None:
        self.progress.advance(self.reading)
        if outcome.error:
            self.progress.console.print(masked_urls(f"not read: {outcome.url}: {outcome.error}"),
                                        markup=False, highlight=False)  # fmt: skip

    def entries_found(self, total: int) -> None:
        self.progress.update(self.reading, total=self.progress.tasks[self.reading].completed)
        self.publishing = self.progress.add_task("publishing articles in range", total=total)

    def entry_done(self, published: bool) -> None:
        if self.publishing is not None:
            self.progress.advance(self.publishing)


def run_backfill(source: str, start: str, end: str) -> None:
    dates = date_range(start, end)
    settings = load_settings()
    names = StreamNames(settings.stream_prefix)

    async def work() -> BackfillReport | None:
        async with redis_connection(settings) as redis, opened_polite_client(settings) as client:
            registry = SourceRegistry(redis, names)
            record = await registry.find(source)
            if record is None:
                return None
            room = RoomGate(redis, names.raw, names.group_of("fetcher"), settings.max_backlog)
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=err, transient=False) as progress:
                return await backfill(
                    record,
                    client,
                    registry,
                    OncePublisher(redis, names, settings.feed_seen_ttl_s),
                    dates,
                    sitemap_max_bytes=settings.sitemap_max_bytes,
                    max_documents=settings.sitemap_max_documents,
                    progress=_Bar(progress),
                    room=room,
                )

    report = run_async(work)
    if report is None:
        raise fail(f"no source {source!r}; `newsflow sources list` shows them", EXIT_FAILED)
    out.print(
        f"{report.published} published, {report.already_published} already published, "
        f"{report.in_range} dated in range of {report.listed} listed in {report.documents} "
        f"documents; {len(report.errors)} documents not read",
        highlight=False,
    )
