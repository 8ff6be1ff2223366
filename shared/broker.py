"""The FastStream broker every stage runs on, and how a stage describes itself."""

from __future__ import annotations

import logging
from importlib.metadata import version

from faststream.redis import RedisBroker, StreamSub
from faststream.redis.prometheus import RedisPrometheusMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import REGISTRY

from shared.events import ArticleEvent, DeadLetter
from shared.logs import configure_logging
from shared.pipeline import PipelineStage
from shared.settings import Settings
from shared.streams import StreamNames


def make_broker(settings: Settings, stage: PipelineStage) -> RedisBroker:
    """The stage's broker: JSON logs, metrics, tracing when configured, and its outputs
    declared for the AsyncAPI document."""
    configure_logging(settings.log_level, json=settings.log_json)
    middlewares: list[object] = [
        RedisPrometheusMiddleware(registry=REGISTRY, app_name=f"newsflow-{stage.name}")
    ]
    if settings.otlp_endpoint:
        middlewares.append(_telemetry(settings.otlp_endpoint, stage.name))
    broker = RedisBroker(
        settings.redis_url.get_secret_value(),
        # FastStream logs every message at this level; at INFO that costs ~25% throughput.
        log_level=logging.DEBUG,
        logger=logging.getLogger("faststream"),
        graceful_timeout=settings.shutdown_grace_s,
        middlewares=middlewares,  # type: ignore[arg-type]
        # The stage's handler takes the raw entry (shared/stage.py: raw_entry); nothing to
        # inject, and injecting it cost a thread hop per entry.
        apply_types=False,
    )
    describe_outputs(broker, stage, StreamNames(settings.stream_prefix))
    return broker


def _telemetry(endpoint: str, stage: str) -> object:
    # Imported only when tracing is on: the exporter pulls in protobuf.
    from faststream.redis.opentelemetry import RedisTelemetryMiddleware
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"newsflow-{stage}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return RedisTelemetryMiddleware(tracer_provider=provider)


def describe_outputs(broker: RedisBroker, stage: PipelineStage, names: StreamNames) -> None:
    """Declare what the stage writes, so its AsyncAPI document shows the streams and their
    payloads. The stage writes them itself (forward and ack in one MULTI/EXEC), not through
    these publishers; each entry holds the JSON document in its one field `data`."""
    if stage.output is not None:
        outbox = names.stream(stage.output)
        broker.publisher(
            stream=StreamSub(outbox),
            schema=ArticleEvent,
            title=outbox,
            description=f"What the {stage.name} made of each entry: field `data`, an ArticleEvent.",
        )
    broker.publisher(
        stream=StreamSub(names.dlq),
        schema=DeadLetter,
        title=names.dlq,
        description="Entries given up on, with the reason: field `data`, a DeadLetter.",
    )


def stage_specification(stage: PipelineStage) -> AsyncAPI:
    """The AsyncAPI document's header for one stage (its channels come from the broker)."""
    return AsyncAPI(
        title=f"newsflow {stage.name}",
        version=version("newsflow"),
        description=stage.purpose,
    )
