"""`newsflow status`: per stage stream length, lag, pending, throughput and consumers."""

from __future__ import annotations

import asyncio
import contextlib

from rich.live import Live

from newsflow_cli.console import out, write_json_line
from newsflow_cli.running import load_settings, redis_connection, run_async
from newsflow_cli.status_view import render_status
from shared.pipeline_status import pipeline_status
from shared.streams import StreamNames


def show_status(*, as_json: bool, watch: float | None) -> None:
    """One snapshot (as JSON or a table), or a table refreshed every `watch` seconds."""
    settings = load_settings()
    prefix = settings.stream_prefix
    names = StreamNames(prefix)

    async def work() -> None:
        async with redis_connection(settings) as client:
            if as_json:
                write_json_line((await pipeline_status(client, names)).as_dict())
                return
            if watch is None:
                out.print(render_status(await pipeline_status(client, names), prefix))
                return
            with Live(console=out, auto_refresh=False) as live:
                while True:
                    live.update(render_status(await pipeline_status(client, names), prefix))
                    live.refresh()
                    await asyncio.sleep(watch)

    # Ctrl-C is how `--watch` is stopped: not a failure.
    with contextlib.suppress(KeyboardInterrupt):
        run_async(work)
