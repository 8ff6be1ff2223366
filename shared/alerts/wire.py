"""The alerts' Redis keys and the JSON of their entries: the contract between the matching
stage (services/alerts), the webhook delivery worker, the CLI and the API.

Under the stream prefix (`newsflow` by default):

    <prefix>:alerts:<name>          stream, one entry per match (field `data`: AlertMatch)
    <prefix>:alerts:deliveries      stream, one entry per webhook delivery to make (field
                                    `data`: AlertMatch); read by group `webhooks`
    <prefix>:alerts:version         integer, bumped by every add and remove
    <prefix>:alerts:seen:<name>:<article id>
                                    "1" with a TTL: this article matched this alert (the
                                    idempotency record, set once, by the matching stage)
    <prefix>:alerts:story:<name>:<story id>
                                    the id of the article that matched for this story, with
                                    a TTL (alerts with `once_per_story` only)
    <prefix>:alerts:figures:<name>  hash of counters: matched, delivered, failed

`deliveries` and `version` are therefore not alert names (definition.RESERVED_NAMES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.streams import DATA_FIELD, Fields, data_field

# The consumer group of the webhook delivery worker on `<prefix>:alerts:deliveries`.
DELIVERY_GROUP: Final = "webhooks"


@dataclass(frozen=True)
class AlertKeys:
    """Every alerts key under one prefix; tests use a prefix of their own."""

    prefix: str = "newsflow"

    def stream(self, name: str) -> str:
        return f"{self.prefix}:alerts:{name}"

    @property
    def deliveries(self) -> str:
        return f"{self.prefix}:alerts:deliveries"

    @property
    def version(self) -> str:
        return f"{self.prefix}:alerts:version"

    def seen(self, name: str, article_id: str) -> str:
        return f"{self.prefix}:alerts:seen:{name}:{article_id}"

    def story(self, name: str, story_id: str) -> str:
        return f"{self.prefix}:alerts:story:{name}:{story_id}"

    def figures(self, name: str) -> str:
        return f"{self.prefix}:alerts:figures:{name}"


def idempotency_key(alert: str, article_id: str) -> str:
    """The same for every delivery of one article to one alert: receivers dedup on it."""
    return f"{alert}:{article_id}"


class AlertMatch(BaseModel):
    """One article matching one alert: the entry of the alert's stream and of the delivery
    queue, and the body of the webhook POST."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    alert: str
    article_id: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    story_id: str | None = Field(
        default=None, description="The story the article joined (`enrichment.story.id`)."
    )
    matched_at: datetime
    idempotency_key: str = Field(description="alert:article_id, the same on every delivery.")
    trace_id: str | None = Field(
        default=None, description="The article's trace id, for following it in the logs."
    )

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    def entry(self) -> dict[str, bytes]:
        return {DATA_FIELD: self.to_json()}

    @classmethod
    def from_entry(cls, fields: Fields) -> AlertMatch:
        return cls.model_validate_json(data_field(fields))
