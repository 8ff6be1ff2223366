"""`newsflow status`: per stage stream length, lag, pending, throughput and consumers; per
source (`newsflow sources`) its figures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from rich.console import Group, RenderableType
from rich.live import Live

from newsflow_cli.console import out, write_json_line
from newsflow_cli.running import load_settings, redis_connection, run_async
from newsflow_cli.sources import figures_table, store_if_it_opens
from newsflow_cli.status_view import render_status
from shared.pipeline_status import pipeline_status
from shared.settings import Settings
from shared.source_figures import source_figures
from shared.sources import SourceRegistry
from shared.store.article_store import ArticleStore
from shared.streams import StreamNames


def show_status(*, as_json: bool, watch: float | None) -> None:
    """One snapshot (as JSON or a table), or a table refreshed every `watch` seconds."""
    settings = load_settings()
    prefix = settings.stream_prefix
    names = StreamNames(prefix)

    def stored_figures(client: Redis) -> AbstractAsyncContextManager[ArticleStore | None]:
        # The store is opened only for the sources' `stored` figure: no sources, no store.
        return _store_if_sources(client, names, settings)

    async def view(client: Redis, store: ArticleStore | None) -> RenderableType:
        stages = render_status(await pipeline_status(client, names), prefix)
        sources = await source_figures(client, names, store)
        return Group(stages, figures_table(sources)) if sources else stages

    async def work() -> None:
        async with redis_connection(settings) as client, stored_figures(client) as store:
            if as_json:
                document = (await pipeline_status(client, names)).as_dict()
                sources = await source_figures(client, names, store)
                document["sources"] = [figure.model_dump(mode="json") for figure in sources]
                write_json_line(document)
                return
            if watch is None:
                out.print(await view(client, store))
                return
            with Live(console=out, auto_refresh=False) as live:
                while True:
                    live.update(await view(client, store))
                    live.refresh()
                    await asyncio.sleep(watch)

    # Ctrl-C is how `--watch` is stopped: not a failure.
    with contextlib.suppress(KeyboardInterrupt):
        run_async(work)


@asynccontextmanager
async def _store_if_sources(
    client: Redis, names: StreamNames, settings: Settings
) -> AsyncIterator[ArticleStore | None]:
    if not await SourceRegistry(client, names).records():
        yield None
        return
    async with store_if_it_opens(settings) as store:
        yield store
