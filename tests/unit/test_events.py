from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from services.enricher.registry import analysis_names
from services.fetcher.intake import event_from_content
from shared.events import ArticleEvent, DeadLetter, RawSubmission, Stage
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


@pytest.mark.parametrize(
    ("stage", "field"),
    [
        ("fetcher", "fetched_at"),
        ("parser", "parsed_at"),
        ("enricher", "enriched_at"),
        ("sink", "stored_at"),
    ],
)
def test_a_stage_stamps_its_own_time_only(stage: Stage, field: str) -> None:
    event = event_from_content(RawSubmission(content="text"), max_bytes=100)
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    stamped = event.stamped(stage, at)
    before, after = event.timestamps.model_dump(), stamped.timestamps.model_dump()
    assert after[field] == at
    assert {k: v for k, v in after.items() if k != field} == {
        k: v for k, v in before.items() if k != field
    }
    assert stamped.model_copy(update={"timestamps": event.timestamps}) == event


def test_stamping_without_a_time_takes_now() -> None:
    event = event_from_content(RawSubmission(content="text"), max_bytes=100)
    before = datetime.now(UTC)
    stored_at = event.stamped("sink").timestamps.stored_at
    assert stored_at is not None and before <= stored_at <= datetime.now(UTC)


def test_every_document_is_written_as_compact_json_without_absent_fields() -> None:
    submission = RawSubmission(url="https://example.com/ä", hint_title="Ü")
    letter = DeadLetter(
        stage="parser",
        reason="no_text",
        error_type="Rejected",
        message="m",
        source_stream="s",
        source_entry_id="1-0",
        payload={"data": "x"},
    )
    for document in (submission, letter):
        written = document.to_json()
        # The same bytes pydantic writes: what publishers and older releases wrote.
        assert written == document.model_dump_json(exclude_none=True).encode()
        assert b"null" not in written and b": " not in written


def test_committed_json_schema_matches_the_models() -> None:
    assert SCHEMA_PATH.read_bytes() == render_schema(analysis_names()), (
        "docs/event.schema.json is stale: run `newsflow docs`"
    )
