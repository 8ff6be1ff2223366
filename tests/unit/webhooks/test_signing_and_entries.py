"""The signature a receiver checks, and the delivery queue's entries."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import orjson
import pytest

from services.webhooks.entries import decode_delivery
from services.webhooks.signing import delivery_headers, signature, signature_matches
from shared.alerts.wire import AlertMatch, idempotency_key
from shared.errors import Rejected

SECRET = "s3cret-s3cret-s3cret"


def _match(article_id: str = "a1") -> AlertMatch:
    return AlertMatch(
        alert="kp", article_id=article_id, title="T", matched_at=datetime(2026, 12, 2, tzinfo=UTC),
        idempotency_key=idempotency_key("kp", article_id),
    )  # fmt: skip


def test_the_signature_is_the_hmac_sha256_of_the_raw_body_in_hex() -> None:
    body = b'{"alert":"kp"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signature(SECRET, body) == f"sha256={expected}"
    assert signature_matches(SECRET, body, f"sha256={expected}")
    assert not signature_matches(SECRET, body + b" ", f"sha256={expected}")
    assert not signature_matches("another-secret-here", body, f"sha256={expected}")
    assert not signature_matches(SECRET, body, None)


def test_headers_carry_signature_timestamp_and_idempotency_key_not_the_secret() -> None:
    headers = delivery_headers(SECRET, b"{}", "kp:a1", 1_764_650_000.7)
    assert headers["Idempotency-Key"] == "kp:a1"
    assert headers["X-Newsflow-Timestamp"] == "1764650000"
    assert headers["X-Newsflow-Signature"].startswith("sha256=")
    assert SECRET not in "".join(headers.values())


def test_a_match_entry_is_posted_as_it_is_and_a_retry_keeps_its_attempt() -> None:
    match = _match()
    entry = decode_delivery({b"data": match.to_json(), b"attempt": b"3"})
    assert entry.match == match and entry.attempt == 3
    assert entry.idempotency_key == "kp:a1"
    assert entry.body(entry.matches) == match.to_json()
    assert entry.replay_fields() == {"data": match.to_json()}  # no attempt: replay starts over
    assert decode_delivery({b"data": match.to_json()}).attempt == 1


def test_a_digest_entry_posts_the_held_matches_still_undelivered() -> None:
    held = [_match("a1"), _match("a2"), _match("a3")]
    data = (
        b'{"alert":"kp","window_end":1764650040,"matches":['
        + b",".join(m.to_json() for m in held)
        + b"]}"
    )
    entry = decode_delivery({b"data": data})
    assert entry.digest is not None and entry.alert == "kp"
    assert entry.idempotency_key == "kp:digest:1764650040"
    body = orjson.loads(entry.body(tuple(held[1:])))
    assert body["digest"] is True and body["count"] == 2
    assert [m["article_id"] for m in body["matches"]] == ["a2", "a3"]
    assert body["window_end"] == "2025-12-02T04:34:00+00:00"
    assert body["window_start"] == "2025-12-02T04:33:00+00:00"


@pytest.mark.parametrize(
    "fields",
    [{}, {b"data": b"not json"}, {b"data": b'{"alert": "kp"}'},
     {b"data": _match().to_json(), b"attempt": b"x"}],
)  # fmt: skip
def test_an_entry_that_is_not_a_delivery_is_rejected(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(Rejected):
        decode_delivery(fields)
