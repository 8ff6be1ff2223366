from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from services.fetcher.intake import event_from_content
from shared.errors import Rejected
from shared.events import ArticleEvent, Raw, RawSubmission, Source
from shared.streams import (
    StreamNames,
    decode_event_entry,
    decode_raw_entry,
    encode_json,
    entry_ids,
)


def test_flat_fields_as_redis_cli_writes_them() -> None:
    submission = decode_raw_entry({b"content": "Über alles".encode(), b"source": b"UNN"})
    assert submission.content == "Über alles"
    assert submission.source == "UNN"


def test_one_json_document_in_the_data_field() -> None:
    submission = decode_raw_entry({b"data": b'{"url": "https://example.com/a", "source": "X"}'})
    assert submission.url == "https://example.com/a"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({b"data": b"{not json"}, "invalid_json"),
        ({b"data": b"[1, 2]"}, "invalid_json"),
        ({b"foo": b"bar"}, "invalid_submission"),
        ({b"content": b"\xff\xfe\x00"}, "invalid_encoding"),
        ({b"data": b'{"content": 5}'}, "invalid_submission"),
    ],
)
def test_bad_raw_entries_are_rejected_with_a_reason(
    fields: dict[bytes, bytes], reason: str
) -> None:
    with pytest.raises(Rejected) as caught:
        decode_raw_entry(fields)
    assert caught.value.reason == reason


def test_event_entries_round_trip() -> None:
    event = event_from_content(RawSubmission(content="some text"), max_bytes=1000)
    fields = {k.encode(): v for k, v in encode_json(event.to_json()).items()}
    assert decode_event_entry(fields) == event


def test_event_entry_with_wrong_shape_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        decode_event_entry({b"data": orjson.dumps({"id": 1})})
    assert caught.value.reason == "invalid_event"


def test_stream_names_follow_the_prefix() -> None:
    names = StreamNames("p")
    assert [names.input_of(s) for s in ("fetcher", "parser", "enricher", "sink")] == [
        "p:raw",
        "p:fetched",
        "p:parsed",
        "p:enriched",
    ]
    assert names.output_of("sink") is None
    assert names.dlq == "p:dlq"


def test_content_over_the_cap_is_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        event_from_content(RawSubmission(content="x" * 2000), max_bytes=1024)
    assert caught.value.reason == "too_large"


def test_entry_ids_reads_a_stage_event_off_its_first_bytes_as_a_full_parse_would() -> None:
    event = ArticleEvent(
        id="a" * 40,
        trace_id="trace-1",
        source=Source(url="https://example.com/x", received_at=datetime(2026, 1, 1, tzinfo=UTC)),
        raw=Raw(content="<p>" + "x" * 5000 + "</p>", content_type="text/html"),
    )
    assert entry_ids({b"data": event.to_json()}) == ("a" * 40, "trace-1")
    assert entry_ids({"data": event.to_json().decode()}) == ("a" * 40, "trace-1")


def test_entry_ids_of_other_documents_parse_them() -> None:
    assert entry_ids({b"data": b'{"trace_id": "t", "id": "i"}'}) == ("i", "t")
    assert entry_ids({b"data": b'{"id":"a\\"b","schema_version":1,"trace_id":"t"}'}) == ('a"b', "t")
    assert entry_ids({b"data": b'{"article_id": "m", "trace_id": "t"}'}) == ("m", "t")
    assert entry_ids({b"data": b"not json"}) == (None, None)
    assert entry_ids({b"trace_id": b"t"}) == (None, "t")
