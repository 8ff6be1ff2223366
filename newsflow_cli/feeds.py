"""`newsflow feeds add/list/remove`: the feeds the fetcher follows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Column, Table

from newsflow_cli.arguments import utf8_text
from newsflow_cli.console import err, out
from newsflow_cli.running import (
    EXIT_CANNOT_RUN,
    fail,
    load_settings,
    redis_connection,
    run_async,
)
from services.fetcher.feeds import Feed, FeedRegistry, FeedState
from shared.streams import StreamNames

feeds_app = typer.Typer(
    help="RSS/Atom feeds the fetcher polls; their new items are fetched as articles.",
    no_args_is_help=True,
)

T = TypeVar("T")


def _with_registry(work: Callable[[FeedRegistry], Awaitable[T]]) -> T:
    settings = load_settings()

    async def run() -> T:
        async with redis_connection(settings) as redis:
            return await work(FeedRegistry(redis, StreamNames(settings.stream_prefix)))

    return run_async(run)


@feeds_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS or Atom).", callback=utf8_text)],
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between polls; default NEWSFLOW_FEED_POLL_INTERVAL_S."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Source name for its articles; default the feed's title.", callback=utf8_text
        ),
    ] = None,
) -> None:
    """Follow a feed: the running fetcher polls it and fetches each new item once."""
    if interval is not None and interval <= 0:
        raise fail("--interval must be positive", EXIT_CANNOT_RUN)
    try:
        feed = _with_registry(lambda r: r.add(url, interval_s=interval, source=source))
    except ValueError as exc:
        raise fail(str(exc), EXIT_CANNOT_RUN) from exc
    out.print(f"following {feed.url}")


@feeds_app.command("list")
def list_feeds() -> None:
    """The feeds followed, with what their last poll found."""

    async def read(registry: FeedRegistry) -> list[tuple[Feed, FeedState]]:
        return [(feed, await registry.state(feed.url)) for feed in await registry.feeds()]

    rows = _with_registry(read)
    if not rows:
        out.print("no feeds; add one with `newsflow feeds add URL`")
        return
    # The URL is what `feeds remove` takes: wrapped when narrow, never cut short.
    url = Column("url", overflow="fold")
    table = Table(url, "interval (s)", "last poll", "last result", "published")
    for feed, state in rows:
        table.add_row(
            feed.url,
            f"{feed.interval_s:g}" if feed.interval_s else "default",
            state.last_polled_at.isoformat(timespec="seconds") if state.last_polled_at else "-",
            state.last_error or state.last_status or "-",
            str(state.items_published),
        )
    out.print(table)


@feeds_app.command("remove")
def remove(
    url: Annotated[str, typer.Argument(help="The feed's URL, as added.", callback=utf8_text)],
) -> None:
    """Stop following a feed. Items already published stay published."""
    if not _with_registry(lambda r: r.remove(url)):
        err.print(f"[yellow]not following {url}[/yellow]")
        raise typer.Exit(1)
    out.print(f"stopped following {url}")
