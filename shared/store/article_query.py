"""The read side's query: filters over stored articles, shared by the API, the live stream
and alerts, and the web-search syntax of its `q`.

`q` takes what a search box takes: words (all must match), `"a phrase"`, `a OR b` (OR binds
its neighbours, tighter than the implicit AND, as in PostgreSQL's websearch_to_tsquery) and
`-word` / `-"a phrase"` (must not match). It is parsed once, here, into `WebSearch`; each
store gets it re-rendered from the parse (`to_websearch` for PostgreSQL, `to_fts5` for
SQLite), never the user's text, so no input reaches either query language unchecked.
Anything malformed raises `QueryError`, which the API answers with a 400.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime, time
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.validation_text import validation_message

Sort = Literal["relevance", "newest", "oldest"]
Interval = Literal["day", "week", "month"]
Facet = Literal["sources", "languages", "countries", "entities", "topics", "places", "authors"]
FACETS: tuple[Facet, ...] = (
    "sources", "languages", "countries", "entities", "topics", "places", "authors",
)  # fmt: skip
INTERVALS: tuple[Interval, ...] = ("day", "week", "month")

MAX_LIMIT = 200
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_FILTER_VALUES = 50

# A token: a run of letters and digits. Both stores split text at everything else (the
# underscore included), so a word like "U.S." is searched as the phrase "u s".
_TOKEN = re.compile(r"[^\W_]+")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class QueryError(ValueError):
    """A malformed query, date, cursor, limit, facet or interval: the caller's mistake."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Term(BaseModel):
    """A word or a phrase, as lower-case tokens (one token: a word)."""

    model_config = ConfigDict(frozen=True)
    tokens: tuple[str, ...]
    negated: bool = False


class WebSearch(BaseModel):
    """An AND of clauses; a clause is an OR of terms; negated terms stand alone."""

    model_config = ConfigDict(frozen=True)
    clauses: tuple[tuple[Term, ...], ...]

    @property
    def positive(self) -> tuple[tuple[Term, ...], ...]:
        return tuple(c for c in self.clauses if not c[0].negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(c[0] for c in self.clauses if c[0].negated)


def parse_websearch(q: str) -> WebSearch:
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"q is longer than {MAX_QUERY_CHARS} characters")
    pieces = _pieces(q)
    clauses: list[list[Term]] = []
    join_next = False
    for piece in pieces:
        if piece == "OR":
            # A leading, trailing or doubled OR is a word-less operator: ignored, as
            # websearch_to_tsquery ignores it.
            join_next = bool(clauses)
            continue
        term = _term(piece)
        if term is None:
            continue
        if join_next and (term.negated or clauses[-1][0].negated):
            raise QueryError("a -word cannot be one side of OR")
        if join_next:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = False
    if sum(len(c) for c in clauses) > MAX_TERMS:
        raise QueryError(f"q has more than {MAX_TERMS} words and phrases")
    search = WebSearch(clauses=tuple(tuple(c) for c in clauses))
    if not search.positive:
        raise QueryError("q needs at least one word to search for (not only -words)")
    return search


def _pieces(q: str) -> list[str]:
    """Words (maybe `-`-prefixed) and quoted phrases; an unclosed quote runs to the end."""
    pieces: list[str] = []
    for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', q):
        if match.group(3) is not None:
            word = match.group(3)
            # A quote inside a word starts nothing: its letters are what counts.
            pieces.append(word if word == "OR" else word.replace('"', " "))
        else:
            pieces.append(f'{match.group(1)}"{match.group(2)}"')
    return pieces


def token_list(text: str) -> list[str]:
    """A text's tokens as the query's terms hold them (article_match compares them)."""
    return [_lower(token) for token in _TOKEN.findall(text)]


def _lower(token: str) -> str:
    # str.lower() makes "İ" two characters, "i" and a combining dot; both stores (and
    # PostgreSQL's own lower-casing of a query) make it "i", so "istanbul" finds "İstanbul".
    return token.replace("\u0130", "i").lower()


def _term(piece: str) -> Term | None:
    negated = piece.startswith("-") and len(piece) > 1
    tokens = tuple(_lower(token) for token in _TOKEN.findall(piece))
    return Term(tokens=tokens, negated=negated) if tokens else None


def to_fts5(search: WebSearch) -> str:
    """An FTS5 MATCH expression made only of quoted tokens and operators."""

    def phrase(term: Term) -> str:
        # Tokens hold letters and digits only, so a double quote cannot occur in them.
        return '"' + " ".join(term.tokens) + '"'

    groups = ["(" + " OR ".join(phrase(t) for t in clause) + ")" for clause in search.positive]
    expression = " AND ".join(groups)
    for term in search.negative:
        expression = f"({expression}) NOT {phrase(term)}"
    return expression


def to_websearch(search: WebSearch) -> str:
    """The parse rendered back as websearch_to_tsquery text: every term quoted, so no
    token (not even one spelled "or") is read as an operator."""

    def phrase(term: Term) -> str:
        return ("-" if term.negated else "") + '"' + " ".join(term.tokens) + '"'

    return " ".join(" OR ".join(phrase(t) for t in clause) for clause in search.clauses)


class ArticleQuery(BaseModel):
    """Filters over stored articles. Within a facet any value matches; facets are ANDed.
    The tone range is on the enrichment's GDELT-style tone; an article without a tone
    (no lexicon for its language) is outside every tone range."""

    model_config = ConfigDict(frozen=True)

    q: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = Field(default=(), description="ISO 3166-1 alpha-2, upper case.")
    entities: tuple[str, ...] = ()
    topics: tuple[str, ...] = Field(default=(), description="IPTC code or label.")
    places: tuple[str, ...] = ()
    tone_min: float | None = Field(
        default=None, ge=-100, le=100, description="GDELT-style tone at least this."
    )
    tone_max: float | None = Field(
        default=None, ge=-100, le=100, description="GDELT-style tone at most this."
    )
    stories: tuple[str, ...] = Field(default=(), description="Story id (or a merged one's).")
    sort: Sort | None = None
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    cursor: str | None = None

    @field_validator("q")
    @classmethod
    def _blank_q_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @field_validator("date_from", "date_to", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator("countries", mode="after")
    @classmethod
    def _alpha2(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(value.strip().upper() for value in values)
        for code in codes:
            if not _COUNTRY.match(code):
                raise ValueError(f"country must be an ISO 3166-1 alpha-2 code: {code!r}")
        return codes

    @field_validator("languages", mode="after")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(value.strip().lower() for value in values)

    @field_validator("sources", "entities", "topics", "places", mode="after")
    @classmethod
    def _bounded(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(values) > MAX_FILTER_VALUES:
            raise ValueError(f"at most {MAX_FILTER_VALUES} values per filter")
        return tuple(value.strip() for value in values)

    @field_validator("stories", mode="after")
    @classmethod
    def _bounded_stories(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(values) > MAX_FILTER_VALUES:
            raise ValueError(f"at most {MAX_FILTER_VALUES} values per filter")
        return tuple(value.strip() for value in values)

    @property
    def has_filters(self) -> bool:
        """Whether anything but the sort and the page narrows the matches."""
        return bool(self.model_dump(exclude_defaults=True, exclude={"sort", "limit", "cursor"}))

    @property
    def effective_sort(self) -> Sort:
        return self.sort or ("relevance" if self.q else "newest")

    @property
    def websearch(self) -> WebSearch | None:
        return parse_websearch(self.q) if self.q else None

    @classmethod
    def checked(cls, **fields: object) -> ArticleQuery:
        """Build and check a query: every problem, q and cursor included, as a QueryError."""
        try:
            query = cls.model_validate(fields)
        except ValidationError as exc:
            raise QueryError(validation_message(exc)) from None
        query.check()
        return query

    def check(self) -> None:
        if self.q:
            parse_websearch(self.q)
        elif self.sort == "relevance":
            # Here, not where the SQL is made: an export streams, and a fault found once
            # its 200 has started can only cut the answer short.
            raise QueryError("sort=relevance needs q")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("from is after to")
        if (
            self.tone_min is not None
            and self.tone_max is not None
            and self.tone_min > self.tone_max
        ):
            raise QueryError("tone_min is above tone_max")
        if self.cursor is not None:
            decode_cursor(self.cursor, self.effective_sort)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# The cursor: where the previous page ended, as [sort, key, id]. Opaque to callers
# (base64 of JSON); checked field by field, because it comes back from them.
CursorKey = float | str | None


def encode_cursor(sort: Sort, key: CursorKey, article_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort, key, article_id])).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[CursorKey, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise QueryError("cursor is not one this API gave") from None
    if not (isinstance(value, list) and len(value) == 3 and value[0] == sort):
        raise QueryError("cursor is not one this API gave for this sort")
    _, key, article_id = value
    # No stored id holds a NUL (PostgreSQL refuses one in a parameter): a made-up cursor.
    if not isinstance(article_id, str) or "\x00" in article_id:
        raise QueryError("cursor is not one this API gave")
    if sort == "relevance":
        if not isinstance(key, int | float) or isinstance(key, bool):
            raise QueryError("cursor is not one this API gave")
        return float(key), article_id
    if key is not None:
        if not isinstance(key, str):
            raise QueryError("cursor is not one this API gave")
        key = cursor_time(key)
    return key, article_id


def cursor_time(key: str) -> str:
    """A cursor's time, as given, once it is known to hold in UTC. Checked here, where a
    bad one is the caller's mistake: an offset can push a time near year 1 or 9999 past
    what a datetime holds, and the stores would fail on it later with an OverflowError."""
    try:
        stamp = datetime.fromisoformat(key)
        (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise QueryError("cursor is not one this API gave") from None
    return key
