"""The article event: the one schema every stage, the CLI and the docs are built from.

An `ArticleEvent` travels the whole pipeline. Each stage fills its own section and
stamps its time; nothing downstream rewrites what an earlier stage set:

    fetcher  -> source, raw           (+ timestamps.fetched_at)
    parser   -> article               (+ timestamps.parsed_at)
    enricher -> enrichment            (+ timestamps.enriched_at)
    sink     -> a stored row          (+ timestamps.stored_at)

`RawSubmission` is what users put on the raw stream; `DeadLetter` is what lands on the
dead-letter stream.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import models_json_schema

SCHEMA_VERSION = 1

Via = Literal["redis", "cli", "python", "feed", "replay"]
Stage = Literal["fetcher", "parser", "enricher", "sink"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    # Unknown fields are kept, not rejected, so an older stage passes on what a newer one
    # added (rolling upgrades) and a user's own fields survive the trip.
    model_config = ConfigDict(extra="allow", ser_json_timedelta="float")


class RawSubmission(_Model):
    """An article as a user publishes it: a URL to fetch, or content already in hand."""

    url: str | None = Field(default=None, description="Page to fetch, or the content's origin.")
    content: str | None = Field(default=None, description="The document itself (HTML or text).")
    content_type: str | None = Field(
        default=None, description="MIME type of `content`: text/html, text/plain, ..."
    )
    source: str | None = Field(default=None, description="Publisher or source name.")
    trace_id: str | None = Field(default=None, description="Caller's trace id, kept end to end.")
    via: Via = Field(default="redis", description="How the article arrived.")

    @model_validator(mode="after")
    def _needs_url_or_content(self) -> RawSubmission:
        if not (self.url and self.url.strip()) and not (self.content and self.content.strip()):
            raise ValueError("a raw article needs `url` (to fetch) or `content` (non-empty)")
        return self


class Source(_Model):
    url: str | None = Field(default=None, description="Where the article lives on the web.")
    name: str | None = Field(default=None, description="Publisher or source name, if given.")
    via: Via = Field(default="redis", description="How the article arrived.")
    received_at: datetime = Field(default_factory=utc_now)


class Raw(_Model):
    content_type: str | None = Field(default=None, description="MIME type without parameters.")
    encoding: str | None = Field(default=None, description="Charset declared or detected.")
    content: str | None = Field(
        default=None,
        description="The raw document; dropped after parsing unless NEWSFLOW_KEEP_RAW is set.",
    )
    content_b64: str | None = Field(
        default=None,
        description="The raw document as base64 bytes, when its charset is still to be decided.",
    )
    fetched_url: str | None = Field(default=None, description="URL requested by the fetcher.")
    final_url: str | None = Field(default=None, description="URL after redirects.")
    status_code: int | None = Field(default=None, description="HTTP status of the fetch.")
    size_bytes: int | None = Field(default=None, description="Size of the raw document.")
    sha256: str | None = Field(default=None, description="Hash of the raw document.")


class Section(_Model):
    heading: str
    text: str


class Article(_Model):
    """What the parser makes of the raw document."""

    title: str | None = None
    text: str = Field(description="Body as plain text, paragraphs separated by a blank line.")
    lead: str | None = Field(default=None, description="Lead paragraph or description.")
    authors: list[str] = Field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = Field(default=None, description="Language the page declares.")
    canonical_url: str | None = None
    publisher: str | None = Field(default=None, description="Site or publisher name.")
    dateline: str | None = None
    section: str | None = None
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    image_url: str | None = None
    views: int | None = None
    sections: list[Section] = Field(default_factory=list)
    extractor: str | None = Field(default=None, description="What produced this article.")


class LanguageGuess(_Model):
    code: str = Field(description="ISO 639-1 code.")
    confidence: float = Field(ge=0.0, le=1.0)


class Enrichment(_Model):
    """What the enricher adds. Later fields join here; consumers ignore what they don't know."""

    language: LanguageGuess | None = None
    word_count: int = Field(ge=0)
    reading_time_s: int = Field(ge=0, description="At 230 words per minute.")


class Timestamps(_Model):
    received_at: datetime = Field(default_factory=utc_now)
    fetched_at: datetime | None = None
    parsed_at: datetime | None = None
    enriched_at: datetime | None = None
    stored_at: datetime | None = None


class ArticleEvent(_Model):
    id: str = Field(description="Stable id: from the canonical URL when known, else the content.")
    schema_version: int = SCHEMA_VERSION
    trace_id: str
    source: Source
    raw: Raw
    article: Article | None = None
    enrichment: Enrichment | None = None
    timestamps: Timestamps = Field(default_factory=Timestamps)

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_json(cls, data: bytes | str) -> ArticleEvent:
        return cls.model_validate_json(data)


class DeadLetter(_Model):
    """An entry a stage gave up on, with why, and the payload as it arrived."""

    stage: Stage
    reason: str = Field(description="Short machine-readable reason: invalid_json, too_large, ...")
    error_type: str
    message: str
    delivery_count: int = 1
    first_failed_at: datetime = Field(default_factory=utc_now)
    last_failed_at: datetime = Field(default_factory=utc_now)
    source_stream: str
    source_entry_id: str
    article_id: str | None = None
    trace_id: str | None = None
    payload: dict[str, str] = Field(description="The entry's fields exactly as they arrived.")

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))


def new_trace_id() -> str:
    return uuid.uuid4().hex


def article_id_for_url(url: str) -> str:
    return "u" + hashlib.sha256(url.encode()).hexdigest()[:31]


def article_id_for_content(content: str) -> str:
    # Whitespace differences between two scrapes of the same page must not make two articles.
    normalized = " ".join(content.split())
    return "c" + hashlib.sha256(normalized.encode()).hexdigest()[:31]


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of every public document, as committed to docs/."""
    _, schema = models_json_schema(
        [
            (RawSubmission, "validation"),
            (ArticleEvent, "serialization"),
            (DeadLetter, "serialization"),
        ],
        title="newsflow events",
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
