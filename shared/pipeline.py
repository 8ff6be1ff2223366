"""The pipeline, declared once: every stage, the stream it reads, the stream it writes.

Everything else is derived from `PIPELINE`: stream and group names (`shared/streams.py`),
the `stage` of a dead letter (`shared/events.py`), each stage's AsyncAPI document
(`shared/broker.py`), its metrics port, `newsflow up` and `newsflow status`, the Prometheus
scrape config (`shared/scrape_config.py`) and the tests' lists of stages.

Adding a stage is one row here, one module with its work (`services/<stage>/stage.py`) and
one small app (`services/<stage>/app.py`, built by `shared/stage_app.py`).

Stream names are suffixes: the full name is `<prefix>:<suffix>` (`shared/streams.py`), so
tests run the same pipeline under a prefix of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class PipelineStage:
    """One stage: what it reads, what it writes, and how it is run and watched."""

    name: str
    input: str  # stream suffix it reads, as consumer group `group`
    output: str | None  # stream suffix it writes; None: the end of the pipeline
    group: str  # its consumer group on `input`; every replica of the stage shares it
    purpose: str  # what it does, for its AsyncAPI document
    reads: str  # what an entry of `input` holds, for its AsyncAPI document
    app: str  # the FastStream app, as `faststream run` takes it
    metrics_port: int  # /metrics and /health when NEWSFLOW_HTTP_PORT is unset
    # CPU ms one article costs the stage (bench/stage_cost.py): `newsflow up` gives each
    # stage processes in proportion (newsflow_cli/replicas.py), docs/scaling.md sizes by it.
    cpu_ms: float = 1.0
    # Opens the article store when it starts (and cannot start without it).
    opens_store: bool = False


PIPELINE: Final[tuple[PipelineStage, ...]] = (
    PipelineStage(
        name="fetcher",
        input="raw",
        output="fetched",
        group="fetcher",
        purpose="Downloads URLs (or passes raw content on) and follows feeds.",
        reads="Raw articles: flat fields (url or content, content_type, source, trace_id) "
        "or field `data`, a RawSubmission.",
        app="services.fetcher.app:app",
        cpu_ms=1.0,
        metrics_port=9101,
    ),
    PipelineStage(
        name="parser",
        input="fetched",
        output="parsed",
        group="parser",
        purpose="Turns HTML, scraped plain text or JSON into one normalized article.",
        reads="Fetched articles: field `data`, an ArticleEvent with `source` and `raw`.",
        app="services.parser.app:app",
        cpu_ms=9.0,
        metrics_port=9102,
    ),
    PipelineStage(
        name="enricher",
        input="parsed",
        output="enriched",
        group="enricher",
        purpose="Adds what the text says about itself: the analyses of its registry.",
        reads="Parsed articles: field `data`, an ArticleEvent with `article`.",
        app="services.enricher.app:app",
        cpu_ms=46.0,
        metrics_port=9103,
    ),
    PipelineStage(
        name="sink",
        input="enriched",
        output=None,
        group="sink",
        purpose="Stores articles in PostgreSQL or SQLite, upserting on the article id.",
        reads="Enriched articles: field `data`, an ArticleEvent with `enrichment`.",
        app="services.sink.app:app",
        cpu_ms=2.0,
        metrics_port=9104,
        opens_store=True,
    ),
    PipelineStage(
        name="alerts",
        input="enriched",
        output=None,
        group="alerts",
        purpose="Matches each enriched article against every saved alert and records each "
        "match once: on the alert's stream, and on the webhook delivery queue.",
        reads="Enriched articles: field `data`, an ArticleEvent with `enrichment`.",
        app="services.alerts.app:app",
        metrics_port=9105,
        opens_store=True,
    ),
    PipelineStage(
        name="webhooks",
        input="alerts:deliveries",
        output=None,
        group="webhooks",
        purpose="POSTs each alert match to its alert's webhook, signed (HMAC-SHA256), once; "
        "retries with backoff, holds what exceeds the alert's rate for a digest, and "
        "dead-letters deliveries that keep failing.",
        reads="Webhook deliveries: field `data`, an AlertMatch (or a digest of held ones); "
        "field `attempt` on retries.",
        app="services.webhooks.app:app",
        metrics_port=9106,
        opens_store=True,
    ),
)


@dataclass(frozen=True)
class HttpService:
    """A service that answers HTTP beside the pipeline rather than reading a stream: not a
    stage (no input, no group, no dead letters), but run by `newsflow up` and compose too."""

    name: str
    app: str  # the ASGI app, as uvicorn takes it
    purpose: str
    opens_store: bool = False  # as a stage's


# Read by `newsflow up` (which runs them beside the stages) and `newsflow docs` (OpenAPI);
# their address is a setting (`NEWSFLOW_API_HOST`, `NEWSFLOW_API_PORT`).
HTTP_SERVICES: Final[tuple[HttpService, ...]] = (
    HttpService(
        name="api",
        app="services.api.app:app",
        purpose="Reads the store and the enriched stream for people: search, counts, top "
        "facets, export, a live stream, the web page; publishes raw articles with a token.",
        opens_store=True,
    ),
)


# Where every entry that a stage gives up on goes (not a stage's input: nothing reads it
# as a group; `newsflow dlq` and users read it).
DEAD_LETTER_STREAM: Final = "dlq"

STAGE_NAMES: Final[tuple[str, ...]] = tuple(stage.name for stage in PIPELINE)

# The stages every article passes: the one reading the raw stream and those reading what a
# stage writes. Not the webhooks stage: its queue holds alerts' matches, not articles.
ARTICLE_FLOW: Final[tuple[str, ...]] = tuple(
    stage.name
    for stage in PIPELINE
    if stage.input == "raw" or any(other.output == stage.input for other in PIPELINE)
)


def stage_named(name: str) -> PipelineStage:
    for stage in PIPELINE:
        if stage.name == name:
            return stage
    raise ValueError(f"no stage named {name!r} in the pipeline: {', '.join(STAGE_NAMES)}")


def reader_of(stage: PipelineStage) -> PipelineStage | None:
    """The stage of the pipeline that reads what `stage` writes (its backpressure comes
    from there), or None at the end of the pipeline."""
    if stage.output is None:
        return None
    return next((other for other in PIPELINE if other.input == stage.output), None)


def side_readers_of(stage: PipelineStage) -> tuple[PipelineStage, ...]:
    """The other stages reading what `stage` writes, beside `reader_of` (the alerts stage
    beside the sink): they hold `stage` back only while they run (shared/backpressure.py)."""
    reader = reader_of(stage)
    return tuple(other for other in PIPELINE if other.input == stage.output and other is not reader)
