"""An alert: a saved search that newsflow evaluates on every enriched article, and where its
matches go.

The query is the read side's (`ArticleQuery`'s filters, `q` included, and the tone range)
and is checked by it, so a query `/api/articles` refuses is refused here with the same
message. The webhook's secret signs deliveries (HMAC-SHA256 over the body); it is stored
with the alert and never shown: `public_view()` shows its fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from shared.store.article_query import MAX_LIMIT, ArticleQuery, QueryError
from shared.validation_text import validation_message

# A slug: it is part of a Redis key (`<prefix>:alerts:<name>`) and of a URL path.
NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
# Names whose stream key would be one of the alerts' own keys (shared/alerts/wire.py).
RESERVED_NAMES: Final = frozenset({"deliveries", "version"})
DEFAULT_RATE_PER_MINUTE: Final = 60
SECRET_BYTES: Final = 32


class AlertError(QueryError):
    """A malformed alert (name, webhook, rate, query): the caller's mistake, a 400."""


class AlertQuery(BaseModel):
    """The filters of an alert: `ArticleQuery`'s, without dates, sort, limit and cursor
    (an alert looks at each article as it is enriched)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    tone_min: float | None = None
    tone_max: float | None = None

    def article_query(self) -> ArticleQuery:
        """The same search as the read side runs it; raises QueryError when it is bad."""
        return ArticleQuery.checked(**self.model_dump(), limit=MAX_LIMIT)

    def described(self) -> str:
        """One line for `alerts list`: the filters that are set."""
        parts = [f"q={self.q!r}"] if self.q else []
        for key, value in self.model_dump(exclude={"q"}).items():
            if value not in ((), None):
                parts.append(f"{key}={','.join(value) if isinstance(value, tuple) else value}")
        return " ".join(parts) or "(every article)"


class WebhookTarget(BaseModel):
    """Where a match is POSTed, and the secret its signature is made with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    secret: SecretStr

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("webhook must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise ValueError("webhook URL must not hold a user or password (use the secret)")
        return url

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value()) < 16:
            raise ValueError("webhook secret must be at least 16 characters")
        return secret

    @property
    def fingerprint(self) -> str:
        return secret_fingerprint(self.secret.get_secret_value())

    @property
    def origin(self) -> str:
        """scheme://host[:port]: what is shown of the URL, whose path often holds a
        credential (Slack-style hooks)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def public_view(self) -> dict[str, str]:
        return {"origin": self.origin, "secret_fingerprint": self.fingerprint}


class AlertDefinition(BaseModel):
    """One alert, as stored (`ArticleStore.add_alert`) and loaded by the matching stage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Slug: lower-case letters, digits, - and _.")
    query: AlertQuery
    webhook: WebhookTarget | None = Field(
        default=None, description="JSON POSTs of each match; None: the stream only."
    )
    rate_per_minute: int = Field(
        default=DEFAULT_RATE_PER_MINUTE,
        ge=1,
        le=100_000,
        description="Webhook POSTs per minute at most; past it, matches go out as a digest.",
    )
    once_per_story: bool = Field(
        default=False,
        description="One match per story: the first of a story's articles that the query "
        "matches; later articles of that story are passed over (`enrichment.story`).",
    )
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("name")
    @classmethod
    def _slug(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(
                "must be 1-64 lower-case letters, digits, - or _, starting with a letter or digit"
            )
        if name in RESERVED_NAMES:
            raise ValueError(f"name {name!r} is reserved")
        return name

    @classmethod
    def checked(cls, **fields: Any) -> AlertDefinition:
        """Build and check an alert: every problem as an AlertError, a bad query with the
        read side's own message."""
        try:
            alert = cls.model_validate(fields)
        except ValidationError as exc:
            raise AlertError(validation_message(exc)) from None
        alert.query.article_query()  # QueryError, as /api/articles says it
        return alert

    def stored_json(self) -> str:
        """What the store keeps: the secret included (the delivery worker signs with it)."""
        document = self.model_dump(mode="json")
        if self.webhook is not None:
            document["webhook"]["secret"] = self.webhook.secret.get_secret_value()
        return _dumps(document)

    @classmethod
    def from_stored(cls, text: str | bytes) -> AlertDefinition:
        return cls.model_validate_json(text)

    def public_view(self) -> dict[str, Any]:
        """For `alerts list/show` and logs: the secret as its fingerprint, the webhook as its
        origin."""
        document = self.model_dump(mode="json", exclude={"webhook"})
        document["webhook"] = None if self.webhook is None else self.webhook.public_view()
        return document


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_fingerprint(secret: str) -> str:
    """Enough of the secret's SHA-256 to tell two secrets apart, nothing to sign with."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def _dumps(document: dict[str, Any]) -> str:
    return orjson.dumps(document).decode()
