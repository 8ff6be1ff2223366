"""The request's filters as one `ArticleQuery`: the query parameters every read endpoint
(`/api/articles`, `/api/counts`, `/api/top/{facet}`, `/api/export`, `/api/stream`) takes;
`/api/stories` takes the filters (`article_filters`) with a sort and pages of its own.

Repeatable parameters (`country=KP&country=RU`) match any of their values; different
parameters must all hold. `from` and `to` take a date (`2024-03-01`: `to` then means the
end of that day) or an ISO 8601 datetime (UTC when it names no offset).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query

from shared.store.article_query import (
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    ArticleQuery,
    QueryError,
    Sort,
    day_start,
)
from shared.store.read_models import RELEVANCE_WINDOW

_ONE_MICROSECOND = timedelta(microseconds=1)


def parse_bound(name: str, text: str | None, *, end_of_day: bool) -> datetime | None:
    """A date or a datetime; a date as its first instant, or with `end_of_day` its last."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return (
                day_start(day + timedelta(days=1)) - _ONE_MICROSECOND
                if end_of_day
                else day_start(day)
            )
        moment = datetime.fromisoformat(text)
        # Converted here, where an instant too close to year 1 or 9999 to be moved to UTC
        # is still the caller's mistake.
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise QueryError(f"{name} is not a date (YYYY-MM-DD) or an ISO 8601 datetime") from None


def refuse_nul(parameters: dict[str, list[str]]) -> None:
    """No stored text holds a NUL (the stores drop them, PostgreSQL refuses them), so a
    parameter with one is a mistake, said as such rather than sent to a database."""
    for name, values in parameters.items():
        if any("\x00" in value for value in values):
            raise QueryError(f"{name} holds a NUL character")


def article_filters(
    q: Annotated[
        str | None,
        Query(
            description='Web-search syntax: words (all must match), "a phrase", a OR b, -word.',
            max_length=MAX_QUERY_CHARS,
        ),
    ] = None,
    date_from: Annotated[
        str | None,
        Query(alias="from", description="Published at or after: YYYY-MM-DD or ISO 8601."),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            alias="to",
            description="Published at or before: YYYY-MM-DD (the whole day) or ISO 8601.",
        ),
    ] = None,
    source: Annotated[list[str], Query(description="Source name; repeatable.")] = [],  # noqa: B006
    language: Annotated[
        list[str], Query(description="Language code (ISO 639-1); repeatable.")
    ] = [],  # noqa: B006
    country: Annotated[
        list[str], Query(description="Country mentioned (ISO 3166-1 alpha-2); repeatable.")
    ] = [],  # noqa: B006
    entity: Annotated[list[str], Query(description="Named entity's text; repeatable.")] = [],  # noqa: B006
    topic: Annotated[list[str], Query(description="IPTC topic code or label; repeatable.")] = [],  # noqa: B006
    place: Annotated[list[str], Query(description="Place name; repeatable.")] = [],  # noqa: B006
    tone_min: Annotated[
        float | None,
        Query(ge=-100, le=100, description="GDELT-style tone at least this (-100 to 100)."),
    ] = None,
    tone_max: Annotated[
        float | None,
        Query(ge=-100, le=100, description="GDELT-style tone at most this (-100 to 100)."),
    ] = None,
    story: Annotated[
        list[str], Query(description="Story id (a merged story's old id too); repeatable.")
    ] = [],  # noqa: B006
) -> ArticleQuery:
    """The filters alone: `/api/stories` takes them with a sort and pages of its own."""
    refuse_nul(
        {
            "q": [q or ""], "from": [date_from or ""], "to": [date_to or ""],
            "source": source, "language": language, "country": country, "entity": entity,
            "topic": topic, "place": place, "story": story,
        }
    )  # fmt: skip
    return ArticleQuery.checked(
        q=q,
        date_from=parse_bound("from", date_from, end_of_day=False),
        date_to=parse_bound("to", date_to, end_of_day=True),
        sources=tuple(source),
        languages=tuple(language),
        countries=tuple(country),
        entities=tuple(entity),
        topics=tuple(topic),
        places=tuple(place),
        tone_min=tone_min,
        tone_max=tone_max,
        stories=tuple(story),
    )


def article_query(
    filters: Annotated[ArticleQuery, Depends(article_filters)],
    sort: Annotated[
        Sort | None,
        Query(
            description=f"relevance (the default with q; on PostgreSQL, over "
            f"{RELEVANCE_WINDOW:,} matches, the newest {RELEVANCE_WINDOW:,} are ranked), "
            "newest (without), oldest."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 20,
    cursor: Annotated[
        str | None, Query(description="The `next` of the previous page.", max_length=2000)
    ] = None,
) -> ArticleQuery:
    refuse_nul({"cursor": [cursor or ""]})
    query = filters.model_copy(update={"sort": sort, "limit": limit, "cursor": cursor})
    query.check()
    return query
