"""What a webhook POST carries besides its body: the signature a receiver checks, the
idempotency key it dedups on, and when it was sent.

    X-Newsflow-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>
    X-Newsflow-Timestamp: <unix seconds when this POST was made; not signed>
    Idempotency-Key: <alert>:<article id>   (a digest: <alert>:digest:<window end>)
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

SIGNATURE_HEADER: Final = "X-Newsflow-Signature"
TIMESTAMP_HEADER: Final = "X-Newsflow-Timestamp"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """The receiver's check (tests and the README's example do the same): constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def delivery_headers(secret: str, body: bytes, key: str, now_s: float) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        TIMESTAMP_HEADER: str(int(now_s)),
        IDEMPOTENCY_HEADER: key,
    }
