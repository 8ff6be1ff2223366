"""`newsflow`: publish, follow, run, inspect and search the pipeline."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import orjson
import typer
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from newsflow_cli.dlq import dlq_app
from newsflow_cli.feeds import feeds_app
from newsflow_cli.inputs import Input, expand_paths, to_input
from newsflow_cli.status_view import render_status
from newsflow_cli.supervisor import StageProcesses
from shared.article_trace import ArticleTrace, trace_article
from shared.client import NewsflowClient
from shared.errors import Rejected
from shared.events import ArticleEvent
from shared.pipeline_status import PipelineStatus, pipeline_status
from shared.settings import Settings, get_settings
from shared.stage import redis_client
from shared.streams import STAGES, StreamNames

app = typer.Typer(
    name="newsflow",
    help="News-article pipeline over Redis Streams: fetch, parse, enrich, store.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(dlq_app, name="dlq")
app.add_typer(feeds_app, name="feeds")
# Piped output is laid out for 100 columns, not the 80 rich assumes without a terminal.
out = Console(width=None if sys.stdout.isatty() else 100)
err = Console(stderr=True)


def _settings() -> Settings:
    return get_settings()


def _redis_down(settings: Settings, exc: Exception) -> typer.Exit:
    err.print(
        f"[red]cannot reach Redis[/red] ({exc}); is it running? REDIS_URL is read from "
        "the environment (default redis://localhost:6379/0)."
    )
    return typer.Exit(2)


def _write_json_line(document: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
    sys.stdout.buffer.flush()


@app.command()
def publish(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, URLs, or - for stdin.")],
    source: Annotated[str | None, typer.Option(help="Publisher or source name.")] = None,
) -> None:
    """Put articles on the raw stream."""
    settings = _settings()
    args = list(expand_paths(inputs))

    async def run() -> int:
        failed = 0
        async with NewsflowClient.from_settings(settings) as client:
            with Progress(
                TextColumn("publishing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                disable=len(args) < 10 or not err.is_terminal,
            ) as progress:
                task = progress.add_task("publish", total=len(args))
                for arg in args:
                    try:
                        item = to_input(arg, source=source)
                    except (OSError, ValueError) as exc:
                        err.print(f"[red]skipped[/red] {arg}: {exc}")
                        failed += 1
                    else:
                        await client.publish(item.submission)
                    progress.advance(task)
        err.print(f"published {len(args) - failed} of {len(args)} to {client.names.raw}")
        return failed

    try:
        failed = asyncio.run(run())
    except RedisConnectionError as exc:
        raise _redis_down(settings, exc) from exc
    raise typer.Exit(1 if failed else 0)


@app.command()
def subscribe(
    from_start: Annotated[bool, typer.Option("--from-start", help="Replay history first.")] = False,
    group: Annotated[
        str | None, typer.Option(help="Consumer group: members share events and resume.")
    ] = None,
    count: Annotated[int | None, typer.Option(help="Stop after this many events.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
) -> None:
    """Follow enriched events, one JSON object per line."""
    settings = _settings()

    async def run() -> None:
        seen = 0
        async with NewsflowClient.from_settings(settings) as client:
            async for event in client.follow(from_start=from_start, group=group):
                _write_json_line(event.model_dump(mode="json", exclude_none=True))
                seen += 1
                if count is not None and seen >= count:
                    return

    try:
        asyncio.run(asyncio.wait_for(run(), timeout) if timeout else run())
    except TimeoutError:
        raise typer.Exit(0) from None
    except RedisConnectionError as exc:
        raise _redis_down(settings, exc) from exc
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def up(
    stages: Annotated[
        list[str] | None, typer.Option("--stage", help="Run only these stages.")
    ] = None,
) -> None:
    """Run the four stages as local processes (no Docker needed). Ctrl-C stops them."""
    settings = _settings()
    chosen = stages or list(STAGES)
    unknown = set(chosen) - set(STAGES)
    if unknown:
        err.print(f"[red]unknown stage(s)[/red]: {', '.join(sorted(unknown))}")
        raise typer.Exit(2)
    try:
        redis_ping(settings)
    except RedisConnectionError as exc:
        raise _redis_down(settings, exc) from exc
    store = "PostgreSQL" if settings.uses_postgres else f"SQLite at {settings.sqlite_path}"
    err.print(f"starting {', '.join(chosen)} (streams {settings.stream_prefix}:*, store {store})")
    procs = StageProcesses(chosen, grace_s=settings.shutdown_grace_s + 5)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    # Installed for SIGINT too: a shell starting `newsflow up &` leaves SIGINT ignored, and
    # Python then raises no KeyboardInterrupt.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    procs.start()
    restarts: dict[str, float] = {}
    try:
        while not stopping:
            time.sleep(0.5)
            for stage, code in procs.exited().items():
                if stopping:
                    break
                # A crashed stage is restarted, at most every 5 s so a broken one doesn't spin.
                if time.monotonic() - restarts.get(stage, 0.0) > 5:
                    err.print(f"[yellow]{stage} exited with {code}; restarting[/yellow]")
                    restarts[stage] = time.monotonic()
                    procs.start_stage(stage)
    except KeyboardInterrupt:
        pass
    finally:
        err.print("stopping stages...")
        procs.stop()
        err.print("stopped")


def redis_ping(settings: Settings) -> None:
    async def ping() -> None:
        client = redis_client(settings)
        try:
            await client.ping()
        finally:
            await client.aclose()

    asyncio.run(ping())


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    watch: Annotated[
        float | None, typer.Option(help="Refresh every this many seconds (Ctrl-C stops).")
    ] = None,
) -> None:
    """Per stage: stream length, lag, pending, throughput, consumers; dead letters by reason."""
    settings = _settings()
    names = StreamNames(settings.stream_prefix)

    async def snapshot(client: Redis) -> PipelineStatus:
        return await pipeline_status(client, names)

    async def run() -> None:
        client = redis_client(settings)
        try:
            if as_json:
                _write_json_line((await snapshot(client)).as_dict())
                return
            if watch is None:
                out.print(render_status(await snapshot(client), settings.stream_prefix))
                return
            with Live(console=out, auto_refresh=False) as live:
                while True:
                    live.update(render_status(await snapshot(client), settings.stream_prefix))
                    live.refresh()
                    await asyncio.sleep(watch)
        finally:
            await client.aclose()

    try:
        asyncio.run(run())
    except RedisConnectionError as exc:
        raise _redis_down(settings, exc) from exc
    except KeyboardInterrupt:
        pass


@app.command()
def trace(
    article_id: Annotated[str, typer.Argument(help="The article's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Where an article is: streams holding it, stored or not, dead letters, stage times."""
    from services.sink.store import open_store

    settings = _settings()

    async def run() -> ArticleTrace:
        store = open_store(settings)
        client = redis_client(settings)
        await store.open()
        try:
            stored = await store.get(article_id)
            return await trace_article(
                client, StreamNames(settings.stream_prefix), article_id, stored
            )
        finally:
            await store.close()
            await client.aclose()

    try:
        found = asyncio.run(run())
    except RedisConnectionError as exc:
        raise _redis_down(settings, exc) from exc
    if as_json:
        _write_json_line(found.as_dict())
        return
    known = found.stored or found.sightings or found.dead_letters
    if not known:
        err.print(f"no trace of article {article_id} (stored, in retained streams or the DLQ)")
        raise typer.Exit(1)
    out.print(f"[bold]{article_id}[/bold]  stored: {'yes' if found.stored else 'no'}")
    for stage_name, at in found.timestamps().items():
        out.print(f"  {stage_name:9s} {at or '-'}")
    for seen in found.sightings:
        where = f"pending in {seen.pending_in}" if seen.pending_in else "done"
        out.print(f"  on {seen.stream} as {seen.entry_id} ({where})")
    for letter in found.dead_letters:
        out.print(
            f"  [red]dead letter {letter.entry_id}: {letter.letter.stage} "
            f"{letter.letter.reason}: {letter.letter.message[:80]}[/red]"
        )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find in titles and texts.")],
    limit: Annotated[int, typer.Option(help="Most results to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """Full-text search over stored articles."""
    from services.sink.store import open_store

    settings = _settings()

    async def run() -> list[dict[str, object]]:
        store = open_store(settings)
        await store.open()
        try:
            return [
                {
                    "id": a.id,
                    "title": a.title,
                    "url": a.url,
                    "source": a.source,
                    "language": a.language,
                    "published_at": a.published_at.isoformat() if a.published_at else None,
                    "snippet": a.snippet,
                }
                for a in await store.search(query, limit)
            ]
        finally:
            await store.close()

    results = asyncio.run(run())
    if as_json:
        for result in results:
            _write_json_line(result)
        return
    if not results:
        err.print(f"no stored article matches {query!r}")
        raise typer.Exit(1)
    table = Table(show_lines=True)
    for column in ("published", "source", "title / snippet"):
        table.add_column(column)
    for r in results:
        published = str(r["published_at"] or "")[:10]
        table.add_row(
            published, str(r["source"] or ""), f"[bold]{r['title']}[/bold]\n{r['snippet']}"
        )
    out.print(table)


def _run_locally(paths: list[str], enrich: bool) -> int:
    from services.fetcher.intake import event_from_content
    from services.parser.parse import parse_event

    settings = _settings()
    enrich_event: Callable[[ArticleEvent], ArticleEvent] | None = None
    if enrich:
        # Imported only when asked for: loading the enricher's models takes seconds.
        from services.enricher.enrich import enrich_event

    failures = 0
    for arg in expand_paths(paths):
        try:
            item: Input = to_input(arg)
            event: ArticleEvent = event_from_content(
                item.submission, max_bytes=settings.max_content_bytes
            )
            event = parse_event(event, max_bytes=settings.max_content_bytes)
            if enrich_event is not None:
                event = enrich_event(event)
        except Rejected as exc:
            failures += 1
            _write_json_line({"path": arg, "error": {"reason": exc.reason, "message": exc.message}})
        except (OSError, ValueError) as exc:
            failures += 1
            reason = "unreadable" if isinstance(exc, OSError) else "invalid_input"
            _write_json_line({"path": arg, "error": {"reason": reason, "message": str(exc)}})
        else:
            _write_json_line({"path": arg, **event.model_dump(mode="json", exclude_none=True)})
    return failures


@app.command()
def parse(
    paths: Annotated[
        list[str], typer.Argument(help=".html/.htm/.txt/.json files (or .gz), folders, -")
    ],
) -> None:
    """Parse local files in process (no Redis): one JSON line per input, in order."""
    raise typer.Exit(1 if _run_locally(paths, enrich=False) else 0)


@app.command()
def enrich(
    paths: Annotated[
        list[str], typer.Argument(help=".html/.htm/.txt/.json files (or .gz), folders, -")
    ],
) -> None:
    """Parse and enrich local files in process (no Redis): one JSON line per input."""
    raise typer.Exit(1 if _run_locally(paths, enrich=True) else 0)


@app.command()
def docs(
    out: Annotated[Path, typer.Option(help="Folder to write into.")] = Path("docs"),
) -> None:
    """Regenerate docs/: the event JSON Schema and each service's AsyncAPI document."""
    from newsflow_cli.docs import write_docs

    for path in write_docs(out):
        err.print(f"wrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
