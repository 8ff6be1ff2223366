"""The article event: the one schema every stage, the CLI and the docs are built from.

An `ArticleEvent` travels the whole pipeline. Each stage fills its own section and
stamps its time (`ArticleEvent.stamped`); nothing downstream rewrites what an earlier
stage set:

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
from typing import Annotated, Literal

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.pipeline import STAGE_NAMES

SCHEMA_VERSION = 1

Via = Literal["redis", "cli", "python", "feed", "sitemap", "replay", "api", "archive"]


def _stage_of_the_pipeline(name: str) -> str:
    if name not in STAGE_NAMES:
        raise ValueError(f"not a stage of the pipeline: {', '.join(STAGE_NAMES)}")
    return name


# A stage's name, checked against the pipeline's table (shared/pipeline.py) rather than
# listed again here; the JSON Schema still names them all.
Stage = Annotated[
    str,
    AfterValidator(_stage_of_the_pipeline),
    Field(json_schema_extra={"enum": list(STAGE_NAMES)}),
]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    # Unknown fields are kept, not rejected, so an older stage passes on what a newer one
    # added (rolling upgrades) and a user's own fields survive the trip.
    model_config = ConfigDict(extra="allow", ser_json_timedelta="float")

    def to_json(self) -> bytes:
        """The wire form of every document newsflow writes: compact UTF-8 JSON, absent
        fields left out (not written as null)."""
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))


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
    # Hints: what a feed or sitemap (or a caller) already knows about the page before it is
    # fetched. The fetcher passes them on as `source.feed_url` and `source.hints`; the page
    # itself stays the authority: the parser uses a hint only where the page says nothing.
    feed_url: str | None = Field(default=None, description="Feed or sitemap the URL was found in.")
    hint_title: str | None = Field(default=None, description="Title given by the feed item.")
    hint_published_at: datetime | None = Field(
        default=None, description="Publication time given by the feed item."
    )
    hint_summary: str | None = Field(default=None, description="Summary given by the feed item.")
    hint_captured_at: datetime | None = Field(
        default=None,
        description="When a web archive captured the page (WARC-Date): a bound on its date, "
        "never its publication time.",
    )
    # Content as bytes, for pages downloaded earlier (a web archive's responses): the
    # fetcher and parser decide their charset as they do for a page they download now.
    content_b64: str | None = Field(
        default=None,
        description="The document's bytes as base64, its charset still to be decided; needs "
        "`url`, which names the article.",
    )
    charset: str | None = Field(
        default=None, description="Charset declared for `content_b64` (HTTP Content-Type)."
    )
    hint_language: str | None = Field(
        default=None, description="Language given by the sitemap (Google News <news:language>)."
    )

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


EntityType = Literal["person", "organisation", "place", "group", "event"]


class Entity(_Model):
    """A named thing the text mentions, with every place it is mentioned."""

    type: EntityType = Field(
        description="person, organisation, place (GPE, LOC, FAC), group (nationalities, "
        "religious and political groups) or event."
    )
    text: str = Field(
        description="Canonical form: whitespace normalized, no leading 'the', no possessive 's."
    )
    label: str = Field(description="The NER model's own label (PERSON, ORG, GPE, NORP, ...).")
    count: int = Field(ge=1, description="Mentions in `article.text`.")
    offsets: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of each mention in `article.text`."
    )


class CountryMention(_Model):
    """A country the article talks about, by name, alias, demonym or one of its places."""

    alpha2: str = Field(description="ISO 3166-1 alpha-2 code.")
    alpha3: str = Field(description="ISO 3166-1 alpha-3 code.")
    name: str = Field(description="ISO 3166-1 (common) name.")
    count: int = Field(ge=1, description="Mentions in the title, dateline and text.")
    score: float = Field(
        ge=0.0, description="Mentions weighted by where they are (title and lead count more)."
    )
    focus: bool = Field(description="One of the countries the article is mainly about.")


PlaceKind = Literal["city", "region", "us_state"]


class Place(_Model):
    """A named place below country level, resolved to GeoNames."""

    name: str = Field(description="GeoNames name of the place.")
    kind: PlaceKind = Field(
        description="city; region (a city's name followed by region/oblast/province, "
        "located at the city); us_state."
    )
    country: str = Field(description="ISO 3166-1 alpha-2 code of its country.")
    geonames_id: int
    lat: float | None = Field(default=None, description="Absent for US states (no data).")
    lon: float | None = Field(default=None, description="Absent for US states (no data).")
    count: int = Field(ge=0, description="Mentions in `article.text` (0: title or dateline only).")
    offsets: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets of mentions in `article.text`."
    )
    in_dateline: bool = Field(default=False, description="Named in `article.dateline`.")


class Tone(_Model):
    """How positive or negative the wording is."""

    lexicon: str = Field(description="Sentiment lexicon used, e.g. vader.")
    compound_mean: float = Field(
        ge=-1.0, le=1.0, description="Mean VADER compound score over the sentences."
    )
    positive_pct: float = Field(ge=0.0, description="% of words with positive valence.")
    negative_pct: float = Field(ge=0.0, description="% of words with negative valence.")
    tone: float = Field(description="GDELT-style tone: positive_pct - negative_pct.")
    sentences: int = Field(ge=0, description="Sentences scored.")


class Keyword(_Model):
    text: str = Field(description="A key phrase of the article, as written.")
    score: float = Field(ge=0.0, le=1.0, description="Relative weight; the best is 1.")


class Topic(_Model):
    code: str = Field(description="IPTC Media Topic code, e.g. medtop:16000000.")
    label: str = Field(description="IPTC Media Topic name, e.g. conflict, war and peace.")
    score: float = Field(ge=0.0, le=1.0, description="Share of the topic evidence in the text.")


QuoteKind = Literal["direct", "reported", "block"]


class Quote(_Model):
    """A quotation and who said it, when the text says so."""

    text: str = Field(description="The quoted words.")
    kind: QuoteKind = Field(
        description="direct: in quotation marks; reported: 'X said that ...'; block: a "
        "paragraph attributed by the next one ('- X said')."
    )
    speaker: str | None = Field(default=None, description="Who said it, when stated.")
    start: int = Field(ge=0, description="Offset of the quoted words in `article.text`.")
    end: int = Field(ge=0)
    closed: bool = Field(
        default=True, description="False when the closing quotation mark is missing."
    )


class AnalysisRun(_Model):
    """Whether one analysis ran, and why not when it did not."""

    # A plain string here: the names are the enricher's registry
    # (services/enricher/registry.py), which shared/ cannot import; the docs list them.
    name: str
    ran: bool
    detail: str | None = Field(
        default=None, description="Why it did not run, or what it ran with (model, lexicon)."
    )


class StoryLink(_Model):
    """The story an article joined when it was enriched: the articles, across sources, that
    report the same real-world event."""

    id: str = Field(description="Story id; a merged story's old ids stay resolvable to it.")
    size: int = Field(ge=1, description="Articles in the story, this one included, when joined.")
    new: bool = Field(description="This article started the story.")
    score: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Similarity to the story it joined."
    )
    merged: list[str] = Field(
        default_factory=list,
        description="Ids of stories merged into this one by this article (aliases of `id`).",
    )


class Enrichment(_Model):
    """What the enricher adds. Later fields join here; consumers ignore what they don't know."""

    language: LanguageGuess | None = None
    word_count: int = Field(ge=0)
    reading_time_s: int = Field(ge=0, description="At 230 words per minute.")
    entities: list[Entity] = Field(
        default_factory=list, description="Named entities, most mentioned first."
    )
    countries: list[CountryMention] = Field(
        default_factory=list, description="Countries mentioned, highest score first."
    )
    places: list[Place] = Field(default_factory=list, description="Places below country level.")
    tone: Tone | None = Field(
        default=None, description="Absent without a lexicon for the language."
    )
    keywords: list[Keyword] = Field(default_factory=list, description="Key phrases, best first.")
    topics: list[Topic] = Field(default_factory=list, description="IPTC top-level media topics.")
    quotes: list[Quote] = Field(default_factory=list, description="Quotations in text order.")
    duplicate_of: str | None = Field(
        default=None,
        description="Id of the first article seen that this one nearly duplicates.",
    )
    similarity: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Estimated Jaccard similarity (word 3-shingles) to `duplicate_of`.",
    )
    story: StoryLink | None = Field(
        default=None, description="The story this article joined; absent before stories ran."
    )
    analyses: list[AnalysisRun] = Field(
        default_factory=list,
        description="Which analyses ran; those that did not say why (e.g. no NER model for "
        "the language) instead of guessing.",
    )


class Timestamps(_Model):
    received_at: datetime = Field(default_factory=utc_now)
    fetched_at: datetime | None = None
    parsed_at: datetime | None = None
    enriched_at: datetime | None = None
    stored_at: datetime | None = None


# Which of `Timestamps` each stage stamps when it has done its work.
_STAMPED_AT: dict[Stage, str] = {
    "fetcher": "fetched_at",
    "parser": "parsed_at",
    "enricher": "enriched_at",
    "sink": "stored_at",
}


class ArticleEvent(_Model):
    id: str = Field(description="Stable id: from the canonical URL when known, else the content.")
    schema_version: int = SCHEMA_VERSION
    trace_id: str
    source: Source
    raw: Raw
    article: Article | None = None
    enrichment: Enrichment | None = None
    timestamps: Timestamps = Field(default_factory=Timestamps)

    def stamped(self, stage: Stage, at: datetime | None = None) -> ArticleEvent:
        """A copy with the time `stage` finished its work (now, unless `at` says when)."""
        times = self.timestamps.model_copy(update={_STAMPED_AT[stage]: at or utc_now()})
        return self.model_copy(update={"timestamps": times})

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
    payload: dict[str, str] = Field(
        description="The entry's UTF-8 fields as they arrived, cut to fit the cap when "
        "`payload_truncated`."
    )
    payload_b64: dict[str, str] = Field(
        default_factory=dict,
        description="The entry's fields that are not UTF-8, base64 of their exact bytes.",
    )
    payload_truncated: bool = Field(
        default=False,
        description="The payload was over NEWSFLOW_DLQ_MAX_PAYLOAD_BYTES and only its start "
        "is kept: the letter cannot be replayed.",
    )
    payload_size: int | None = Field(
        default=None, ge=0, description="Bytes of the entry's field values as they arrived."
    )
    payload_sha256: dict[str, str] = Field(
        default_factory=dict,
        description="sha256 (hex) of each field's value as it arrived, kept or not.",
    )


def new_trace_id() -> str:
    return uuid.uuid4().hex


def article_id_for_url(url: str) -> str:
    return "u" + hashlib.sha256(url.encode()).hexdigest()[:31]


def article_id_for_content(content: str) -> str:
    # Whitespace differences between two scrapes of the same page must not make two articles.
    normalized = " ".join(content.split())
    return "c" + hashlib.sha256(normalized.encode()).hexdigest()[:31]
