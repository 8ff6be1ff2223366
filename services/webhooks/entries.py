"""The entries of the delivery queue (`<prefix>:alerts:deliveries`) and the bodies POSTed
for them.

An entry's field `data` is one of

* an `AlertMatch` (written by the matching stage): POSTed as it is;
* a held digest `{"alert", "window_end", "matches": [AlertMatch, ...]}` (written by the
  worker's scheduler when a rate-limited alert's window ends): POSTed as a `Digest`.

Field `attempt` (absent: 1) counts the POSTs this delivery has had, with this one; it is
set when the scheduler puts a retry back. A dead letter keeps `data` only, so `newsflow dlq
replay` starts the delivery again at attempt 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.alerts.wire import AlertMatch
from shared.errors import Rejected
from shared.streams import DATA_FIELD, Fields

ATTEMPT_FIELD: Final = "attempt"
RATE_WINDOW_S: Final = 60


class HeldDigest(BaseModel):
    """What the scheduler queues when an alert's rate window ends: the matches held in it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    alert: str
    window_end: int  # unix seconds
    matches: tuple[AlertMatch, ...]


@dataclass(frozen=True)
class DeliveryEntry:
    """One entry of the queue, decoded: a single match or a digest, and its attempt."""

    alert: str
    data: bytes
    attempt: int
    match: AlertMatch | None = None
    digest: HeldDigest | None = None

    @property
    def matches(self) -> tuple[AlertMatch, ...]:
        if self.match is not None:
            return (self.match,)
        return self.digest.matches if self.digest is not None else ()

    @property
    def idempotency_key(self) -> str:
        if self.match is not None:
            return self.match.idempotency_key
        assert self.digest is not None
        return f"{self.alert}:digest:{self.digest.window_end}"

    def body(self, matches: tuple[AlertMatch, ...]) -> bytes:
        """The POST's body: the match itself, or the digest of those still undelivered."""
        if self.match is not None:
            return self.match.to_json()
        assert self.digest is not None
        return digest_body(self.alert, self.digest.window_end, matches, self.idempotency_key)

    def replay_fields(self) -> dict[str, bytes]:
        """The entry as a dead letter keeps it: without its attempt count."""
        return {DATA_FIELD: self.data}


def digest_body(alert: str, window_end: int, matches: tuple[AlertMatch, ...], key: str) -> bytes:
    start = datetime.fromtimestamp(window_end - RATE_WINDOW_S, UTC)
    document: dict[str, Any] = {
        "alert": alert,
        "digest": True,
        "window_start": start.isoformat(),
        "window_end": datetime.fromtimestamp(window_end, UTC).isoformat(),
        "count": len(matches),
        "idempotency_key": key,
        "matches": [match.model_dump(mode="json") for match in matches],
    }
    return orjson.dumps(document)


def decode_delivery(fields: Fields) -> DeliveryEntry:
    """Rejected (dead-lettered at once) when the entry is not a delivery."""
    raw: Any = fields.get(DATA_FIELD.encode(), fields.get(DATA_FIELD))
    if raw is None:
        raise Rejected("missing_data", f"delivery entry has no `{DATA_FIELD}` field")
    data = raw if isinstance(raw, bytes) else str(raw).encode()
    attempt_raw: Any = fields.get(ATTEMPT_FIELD.encode(), fields.get(ATTEMPT_FIELD, b"1"))
    try:
        attempt = max(int(attempt_raw), 1)
        document = orjson.loads(data)
        if isinstance(document, dict) and "matches" in document:
            digest = HeldDigest.model_validate(document)
            return DeliveryEntry(digest.alert, data, attempt, digest=digest)
        match = AlertMatch.model_validate(document)
    except (ValueError, ValidationError) as exc:  # orjson's and int's errors are ValueErrors
        raise Rejected("invalid_delivery", f"not a webhook delivery: {str(exc)[:300]}") from None
    return DeliveryEntry(match.alert, data, attempt, match=match)
