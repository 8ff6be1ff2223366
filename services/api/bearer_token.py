"""Who may write over HTTP (publish an article, add or remove an alert): a caller with
`Authorization: Bearer <NEWSFLOW_API_TOKEN>`. Without a configured token nobody may (writing
is off rather than open)."""

from __future__ import annotations

import hmac

from pydantic import SecretStr


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_bearer(
    configured: SecretStr | None, authorization: str | None, action: str = "publishing"
) -> None:
    """Nothing when the header carries the configured token; `Refusal` 403 when no token is
    configured, 401 when the header is missing or carries another. `action` names the
    write in the messages ("publishing", "changing alerts")."""
    if configured is None or not configured.get_secret_value():
        raise Refusal(403, f"{action} over HTTP is off: set NEWSFLOW_API_TOKEN to turn it on")
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Refusal(401, f"{action} needs the header `Authorization: Bearer <token>`")
    # Compared in constant time: the answer's timing says nothing of how much matched.
    if not hmac.compare_digest(
        presented.strip().encode("utf-8"), configured.get_secret_value().encode("utf-8")
    ):
        raise Refusal(401, "the bearer token is not the api's token")
