"""`newsflow sources add/list/show/remove`: sites followed through their feeds and sitemaps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import typer
from redis.asyncio import Redis
from rich.table import Table

from newsflow_cli.arguments import utf8_text
from newsflow_cli.console import out, write_json_line
from newsflow_cli.running import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    fail,
    load_settings,
    redis_connection,
    run_async,
)
from services.fetcher.clients import opened_polite_client
from services.fetcher.discovery import discover
from shared.secret_text import masked_urls
from shared.settings import Settings
from shared.source_figures import SourceFigures, source_figures
from shared.sources import SourceRecord, SourceRegistry, SourceState, default_name
from shared.store.article_store import ArticleStore
from shared.store.backends import open_store
from shared.streams import StreamNames
from shared.urls import is_http_url

T = TypeVar("T")

sources_app = typer.Typer(
    help="Sites followed through their feeds and sitemaps; their new articles are fetched.",
    no_args_is_help=True,
)


@asynccontextmanager
async def store_if_it_opens(settings: Settings) -> AsyncIterator[ArticleStore | None]:
    """The store for the `stored` figure; None (the figure shown as -) when it cannot open:
    the other figures are in Redis and still worth showing. A SQLite file that does not exist
    is not created here: nothing was stored."""
    if not settings.uses_postgres and not settings.sqlite_path.exists():
        yield None
        return
    store = open_store(settings)
    try:
        await store.open()
    except Exception:
        yield None
        return
    try:
        yield store
    finally:
        await store.close()


@sources_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The site's home page.", callback=utf8_text)],
    name: Annotated[
        str | None,
        typer.Option(help="Source name for its articles; default the host.", callback=utf8_text),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between polls; default NEWSFLOW_SOURCE_POLL_INTERVAL_S."),
    ] = None,
) -> None:
    """Discover the site's feeds and sitemaps and follow them."""
    if not is_http_url(url):
        raise fail(f"not an http(s) URL: {masked_urls(url)!r}", EXIT_CANNOT_RUN)
    if interval is not None and interval <= 0:
        raise fail("--interval must be positive", EXIT_CANNOT_RUN)
    settings = load_settings()

    async def work() -> SourceRecord:
        async with opened_polite_client(settings) as client:
            found = await discover(
                client,
                url,
                sitemap_max_bytes=settings.sitemap_max_bytes,
                max_documents=settings.sitemap_max_documents,
            )
        record = SourceRecord(
            name=name or default_name(url),
            url=url.strip(),
            feeds=found.feeds,
            sitemaps=found.sitemaps,
            discovered=found.discovered,
            refused=found.refused,
            interval_s=interval,
        )
        if not record.feeds and not record.sitemaps:
            return record
        async with redis_connection(settings) as redis:
            return await SourceRegistry(redis, StreamNames(settings.stream_prefix)).add(record)

    try:
        record = run_async(work)
    except ValueError as exc:
        raise fail(str(exc), EXIT_CANNOT_RUN) from exc
    shown = record.shown()
    _print_discovered(shown)
    if not record.feeds and not record.sitemaps:
        raise fail(f"no feed or sitemap found at {shown.url}: not following it", EXIT_FAILED)
    out.print(f"following {shown.url} as {record.name!r}")


@sources_app.command("list")
def list_sources(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """The sources followed, with their figures."""
    figures = _figures()
    if as_json:
        for figure in figures:
            write_json_line(figure.model_dump(mode="json"))
        return
    if not figures:
        out.print("no sources; add one with `newsflow sources add URL`")
        return
    out.print(figures_table(figures))


@sources_app.command("show")
def show(
    source: Annotated[str, typer.Argument(help="Its name or URL.", callback=utf8_text)],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What discovery found, what the last poll read, and the source's figures."""
    record, state, figures = _one(source)
    record, state = record.shown(), state.shown()
    if as_json:
        write_json_line(
            {
                "source": record.model_dump(mode="json"),
                "state": state.model_dump(mode="json"),
                "figures": figures.model_dump(mode="json"),
            }
        )
        return
    _print_discovered(record)
    documents = Table("document", "kind", "entries", "last poll")
    for url, document in state.documents.items():
        documents.add_row(url, document.kind or "-", str(document.entries),
                          document.error or "ok")  # fmt: skip
    if state.documents:
        out.print(documents)
    out.print(figures_table([figures]))
    if figures.last_error:
        out.print(f"last error ({_when(figures.last_error_at)}): {figures.last_error}",
                  highlight=False, markup=False)  # fmt: skip


@sources_app.command("remove")
def remove(
    source: Annotated[str, typer.Argument(help="Its name or URL.", callback=utf8_text)],
) -> None:
    """Stop following a source. Articles already published stay published."""
    settings = load_settings()

    async def work(redis: Redis) -> SourceRecord | None:
        registry = SourceRegistry(redis, StreamNames(settings.stream_prefix))
        record = await registry.find(source)
        if record is not None:
            await registry.remove(record)
        return record

    record = run_async(lambda: _with_redis(settings, work))
    if record is None:
        raise fail(f"no source {source!r}", EXIT_FAILED)
    out.print(f"stopped following {record.shown().url} ({record.name})")


async def _with_redis(settings: Settings, work: Callable[[Redis], Awaitable[T]]) -> T:
    async with redis_connection(settings) as redis:
        return await work(redis)


def _figures() -> list[SourceFigures]:
    settings = load_settings()

    async def work() -> list[SourceFigures]:
        async with redis_connection(settings) as redis, store_if_it_opens(settings) as store:
            return await source_figures(redis, StreamNames(settings.stream_prefix), store)

    return run_async(work)


def _one(source: str) -> tuple[SourceRecord, SourceState, SourceFigures]:
    settings = load_settings()
    names = StreamNames(settings.stream_prefix)

    async def work() -> tuple[SourceRecord, SourceState, SourceFigures] | None:
        async with redis_connection(settings) as redis:
            registry = SourceRegistry(redis, names)
            record = await registry.find(source)
            if record is None:
                return None
            async with store_if_it_opens(settings) as store:
                figures = await source_figures(redis, names, store, only=[record])
            return record, await registry.state(record), figures[0]

    found = run_async(work)
    if found is None:
        raise fail(f"no source {source!r}; `newsflow sources list` shows them", EXIT_FAILED)
    return found


def figures_table(figures: list[SourceFigures]) -> Table:
    table = Table("source", "feeds", "sitemaps", "seen", "stored", "dead-lettered",
                  "last success", "last error")  # fmt: skip
    for figure in figures:
        letters = ", ".join(f"{reason} {n}" for reason, n in sorted(figure.dead_lettered.items()))
        table.add_row(
            figure.name,
            str(figure.feeds),
            str(figure.sitemaps),
            str(figure.seen),
            "-" if figure.stored is None else str(figure.stored),
            letters or "0",
            _when(figure.last_success_at),
            _when(figure.last_error_at) if figure.last_error else "-",
        )
    return table


def _when(moment: object) -> str:
    return moment.isoformat(timespec="seconds") if hasattr(moment, "isoformat") else "-"


def _print_discovered(record: SourceRecord) -> None:
    title = f"{record.name} ({record.url})"
    table = Table("discovered", "kind", "found by", "entries", title=title)
    for document in record.discovered:
        entries = "-" if document.entries is None else str(document.entries)
        table.add_row(document.url, document.kind, document.found_by, entries)
    out.print(table)
    for refusal in record.refused:
        out.print(f"not used: {refusal}", highlight=False, markup=False)
