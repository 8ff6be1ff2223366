"""The pipeline's one table of stages, and what is derived from it."""

from __future__ import annotations

import importlib
import itertools
from dataclasses import replace

import pytest
from pydantic import ValidationError

from newsflow_cli.supervisor import APP_MODULES
from shared.events import DeadLetter
from shared.pipeline import (
    ARTICLE_FLOW,
    PIPELINE,
    STAGE_NAMES,
    PipelineStage,
    reader_of,
    side_readers_of,
    stage_named,
)
from shared.schema_file import event_json_schema
from shared.streams import StreamNames


def _chain() -> list[PipelineStage]:
    chain = [PIPELINE[0]]
    while (reader := reader_of(chain[-1])) is not None:
        chain.append(reader)
    return chain


def test_the_stages_form_one_chain_from_raw_to_the_store() -> None:
    chain = _chain()
    assert chain[0].input == "raw"
    assert [stage.name for stage in chain] == ["fetcher", "parser", "enricher", "sink"]
    for upstream, downstream in itertools.pairwise(chain):
        assert upstream.output == downstream.input
    assert chain[-1].output is None


def test_the_alerts_stage_reads_the_enriched_stream_beside_the_store() -> None:
    chain = _chain()
    alerts = stage_named("alerts")
    assert alerts not in chain
    assert alerts.input == chain[-1].input == "enriched"
    assert alerts.output is None


def test_the_alerts_stage_is_the_enricher_s_side_reader_and_no_other_stage_has_one() -> None:
    assert [s.name for s in side_readers_of(stage_named("enricher"))] == ["alerts"]
    for stage in PIPELINE:
        if stage.name != "enricher":
            assert side_readers_of(stage) == (), stage.name


def test_the_webhook_worker_reads_the_delivery_queue_the_alerts_stage_writes() -> None:
    webhooks = stage_named("webhooks")
    assert webhooks.input == "alerts:deliveries" and webhooks.output is None
    assert webhooks.group == "webhooks"


def test_names_groups_and_ports_are_each_stage_s_own() -> None:
    for column in ("name", "group", "metrics_port"):
        values = [getattr(stage, column) for stage in PIPELINE]
        assert len(set(values)) == len(values), column


def test_a_stage_missing_from_the_table_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="summarizer"):
        stage_named("summarizer")


def test_a_stage_whose_output_nobody_reads_has_no_reader() -> None:
    extra = replace(stage_named("parser"), name="extra", group="extra", output="extra")
    assert reader_of(extra) is None


def test_stream_names_and_groups_come_from_the_table() -> None:
    names = StreamNames("p")
    for stage in PIPELINE:
        assert names.input_of(stage.name) == f"p:{stage.input}"
        assert names.group_of(stage.name) == stage.group
        assert names.output_of(stage.name) == (f"p:{stage.output}" if stage.output else None)


def test_every_stage_app_is_the_one_its_row_names() -> None:
    assert {stage.name: stage.app for stage in PIPELINE} == APP_MODULES
    for stage in PIPELINE:
        module, _, attribute = stage.app.partition(":")
        app = getattr(importlib.import_module(module), attribute)
        assert app.broker is not None, stage.name


def test_a_dead_letter_names_a_stage_of_the_table() -> None:
    letter = {
        "reason": "x", "error_type": "E", "message": "m", "source_stream": "p:raw",
        "source_entry_id": "1-0", "payload": {},
    }  # fmt: skip
    for name in STAGE_NAMES:
        assert DeadLetter.model_validate({**letter, "stage": name}).stage == name
    with pytest.raises(ValidationError):
        DeadLetter.model_validate({**letter, "stage": "summarizer"})
    schema = event_json_schema(analysis_names=())["$defs"]["DeadLetter"]["properties"]["stage"]
    assert schema == {"enum": list(STAGE_NAMES), "title": "Stage", "type": "string"}


def test_the_article_flow_is_every_stage_an_article_reaches_not_the_webhooks_queue() -> None:
    assert ARTICLE_FLOW == ("fetcher", "parser", "enricher", "sink", "alerts")
