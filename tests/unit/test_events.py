from __future__ import annotations

import orjson
import pytest
from pydantic import ValidationError

from services.enricher.registry import analysis_names
from services.fetcher.intake import event_from_content
from shared.events import ArticleEvent, RawSubmission
from shared.schema_file import SCHEMA_PATH, render_schema


def test_same_content_published_twice_gets_the_same_id() -> None:
    first = event_from_content(RawSubmission(content="Hello  world.\n"), max_bytes=10_000)
    second = event_from_content(RawSubmission(content="Hello world."), max_bytes=10_000)
    assert first.id == second.id
    assert first.trace_id != second.trace_id


def test_id_comes_from_the_normalized_url_when_known() -> None:
    a = event_from_content(
        RawSubmission(content="one text", url="HTTPS://Example.com/a/?utm_source=x"),
        max_bytes=10_000,
    )
    b = event_from_content(
        RawSubmission(content="another text", url="https://example.com/a"), max_bytes=10_000
    )
    assert a.id == b.id
    assert a.source.url == "https://example.com/a"


def test_different_content_gets_a_different_id() -> None:
    a = event_from_content(RawSubmission(content="one"), max_bytes=100)
    b = event_from_content(RawSubmission(content="two"), max_bytes=100)
    assert a.id != b.id


@pytest.mark.parametrize("fields", [{}, {"content": "   "}, {"source": "UNN"}])
def test_a_submission_needs_url_or_content(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="needs `url`"):
        RawSubmission.model_validate(fields)


def test_event_json_round_trips_and_keeps_unknown_fields() -> None:
    event = event_from_content(RawSubmission(content="text", source="UNN"), max_bytes=100)
    document = orjson.loads(event.to_json())
    document["added_by_a_newer_stage"] = {"x": 1}
    again = ArticleEvent.model_validate(document)
    assert orjson.loads(again.to_json()) == document


def test_committed_json_schema_matches_the_models() -> None:
    assert SCHEMA_PATH.read_bytes() == render_schema(analysis_names()), (
        "docs/event.schema.json is stale: run `newsflow docs`"
    )
