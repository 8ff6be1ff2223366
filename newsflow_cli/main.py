"""`newsflow`: publish, follow, run, inspect and search the pipeline.

The command table: each command declares its arguments and calls the function of its
module that does the work (`newsflow_cli/<command>.py`). How the work runs, and how a
failure is reported in one line, is `newsflow_cli/running.py`. A command imports its
module when it runs: the enricher's models and the stages' dependencies load only for the
commands that use them, so `newsflow status` or `newsflow search` start in a second or two
rather than after spaCy has loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newsflow_cli.alerts import alerts_app
from newsflow_cli.arguments import run_command_table, utf8_text
from newsflow_cli.dlq import dlq_app
from newsflow_cli.feeds import feeds_app
from newsflow_cli.running import EXIT_FAILED
from newsflow_cli.search import MAX_LIMIT, MIN_LIMIT
from newsflow_cli.sources import sources_app

app = typer.Typer(
    name="newsflow",
    help="News-article pipeline over Redis Streams: fetch, parse, enrich, store.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(dlq_app, name="dlq")
app.add_typer(feeds_app, name="feeds")
app.add_typer(sources_app, name="sources")
app.add_typer(alerts_app, name="alerts")

LocalPaths = Annotated[
    list[str], typer.Argument(help=".html/.htm/.txt/.json files (or .gz), folders, -")
]


@app.command()
def publish(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, URLs, or - for stdin.")],
    source: Annotated[
        str | None, typer.Option(help="Publisher or source name.", callback=utf8_text)
    ] = None,
) -> None:
    """Put articles on the raw stream."""
    from newsflow_cli.publish import publish_inputs

    raise typer.Exit(EXIT_FAILED if publish_inputs(inputs, source) else 0)


@app.command("import")
def import_(
    archives: Annotated[list[str], typer.Argument(help="WARC files: .warc or .warc.gz.")],
    source: Annotated[
        str | None, typer.Option(help="Publisher or source name.", callback=utf8_text)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The summary as JSON on stdout.")] = False,
) -> None:
    """Publish the web pages (200 HTML responses) of web archives; other records are counted
    and skipped. Exits 1 when a record could not be read."""
    from newsflow_cli.import_archives import import_archives

    raise typer.Exit(import_archives(archives, source=source, as_json=as_json))


@app.command()
def backfill(
    source: Annotated[str, typer.Argument(help="Source name or URL.", callback=utf8_text)],
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC).")],
) -> None:
    """Publish a source's sitemap entries and feed items dated in the range, each once
    (a second run publishes only what is still new)."""
    from newsflow_cli.backfill import run_backfill

    run_backfill(source, date_from, date_to)


@app.command()
def subscribe(
    from_start: Annotated[bool, typer.Option("--from-start", help="Replay history first.")] = False,
    group: Annotated[
        str | None,
        typer.Option(help="Consumer group: members share events and resume.", callback=utf8_text),
    ] = None,
    count: Annotated[int | None, typer.Option(help="Stop after this many events.", min=1)] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Stop after this many seconds.", min=0)
    ] = None,
) -> None:
    """Follow enriched events, one JSON object per line."""
    from newsflow_cli.subscribe import follow_enriched

    follow_enriched(from_start=from_start, group=group, count=count, timeout=timeout)


@app.command()
def up(
    stages: Annotated[
        list[str] | None, typer.Option("--stage", help="Run only these stages.")
    ] = None,
    api: Annotated[
        bool, typer.Option(help="Run the api beside them (NEWSFLOW_API_HOST/PORT).")
    ] = True,
    scale: Annotated[
        list[str] | None,
        typer.Option(
            "--scale",
            metavar="STAGE=N",
            help="Run N processes of STAGE (default: from the cores and each stage's cost).",
        ),
    ] = None,
) -> None:
    """Run the four stages and the api as local processes (no Docker needed). Ctrl-C stops
    them."""
    from newsflow_cli.up import run_stages

    run_stages(stages, with_api=api, scale=scale)


@app.command()
def serve() -> None:
    """Run the api alone: the web page, /api/* and /docs on NEWSFLOW_API_HOST:NEWSFLOW_API_PORT."""
    from newsflow_cli.serve import serve_api

    serve_api()


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    watch: Annotated[
        float | None,
        typer.Option(help="Refresh every this many seconds (Ctrl-C stops).", min=0.1),
    ] = None,
) -> None:
    """Per stage: stream length, lag, pending, throughput, consumers; dead letters by reason."""
    from newsflow_cli.status import show_status

    show_status(as_json=as_json, watch=watch)


@app.command()
def trace(
    article_id: Annotated[str, typer.Argument(help="The article's id.", callback=utf8_text)],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Where an article is: streams holding it, stored or not, dead letters, stage times."""
    from newsflow_cli.trace import show_trace

    show_trace(article_id, as_json=as_json)


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help="Words to find in titles and texts.", callback=utf8_text)
    ],
    limit: Annotated[
        int, typer.Option(help="Most results to show.", min=MIN_LIMIT, max=MAX_LIMIT)
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
) -> None:
    """Full-text search over stored articles."""
    from newsflow_cli.search import show_search

    show_search(query, limit, as_json=as_json)


@app.command()
def parse(paths: LocalPaths) -> None:
    """Parse local files in process (no Redis): one JSON line per input, in order."""
    from newsflow_cli.local_stages import run_locally

    raise typer.Exit(EXIT_FAILED if run_locally(paths, enrich=False) else 0)


@app.command()
def enrich(paths: LocalPaths) -> None:
    """Parse and enrich local files in process (no Redis): one JSON line per input."""
    from newsflow_cli.local_stages import run_locally

    raise typer.Exit(EXIT_FAILED if run_locally(paths, enrich=True) else 0)


@app.command()
def docs(
    out: Annotated[Path, typer.Option(help="Folder to write the documents into.")] = Path("docs"),
) -> None:
    """Regenerate every generated file: docs/ (the event JSON Schema, each service's AsyncAPI
    document, the api's OpenAPI document) and deploy/monitoring/prometheus.yml."""
    from newsflow_cli.docs import regenerate_docs

    regenerate_docs(out)


def main() -> None:
    run_command_table(app)


if __name__ == "__main__":
    main()
