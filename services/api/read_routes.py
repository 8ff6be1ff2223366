"""The read endpoints over the store: a page of matching articles, one article whole,
counts over time and the top values of a facet, all under the same filters
(`query_params.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from services.api.query_params import article_query
from services.api.resources import ApiResources, resources_of
from shared.store.article_query import ArticleQuery, Facet, Interval
from shared.store.read_models import TOTAL_CAP, ArticlePage, Bucket, FacetCount

router = APIRouter(tags=["read"])

TOP_DEFAULT = 100

Resources = Annotated[ApiResources, Depends(resources_of)]
Filters = Annotated[ArticleQuery, Depends(article_query)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": 'A malformed parameter: `{"error": "<what is wrong>"}`.'}
}


class Counts(BaseModel):
    interval: Interval
    buckets: list[Bucket]
    undated: int = Field(
        description="Matches with no publication date, in no bucket: the buckets and this "
        "add up to the number of matches."
    )


class TopValues(BaseModel):
    facet: Facet
    items: list[FacetCount]


@router.get(
    "/api/articles",
    response_model=ArticlePage,
    summary="Articles matching the filters, a page at a time.",
    description=f"`total` counts every match up to {TOTAL_CAP:,}; above that it is {TOTAL_CAP:,} "
    "and `total_is_lower_bound` is true. `next` is the cursor of the following page "
    "(null on the last). With `q`, the snippet marks the matches with `<mark>`.",
    responses=_ERRORS,
)
async def search_articles(query: Filters, resources: Resources) -> ArticlePage:
    return await resources.store.search(query)


@router.get(
    "/api/articles/{article_id}",
    summary="One stored article: the whole enriched event.",
    responses={404: {"description": "No stored article has this id."}},
)
async def get_article(
    article_id: Annotated[str, Path(max_length=200)], resources: Resources
) -> dict[str, Any]:
    # No id holds a NUL (and PostgreSQL refuses one as a parameter).
    event = None if "\x00" in article_id else await resources.store.get_event(article_id)
    if event is None:
        raise HTTPException(404, "no stored article has this id")
    return event


@router.get(
    "/api/counts",
    response_model=Counts,
    summary="How many articles match, per day, week or month of publication.",
    description="Zero-filled from `from` to `to`, or across the matches' dates without them. "
    "Weeks start on Monday.",
    responses=_ERRORS,
)
async def count_articles(
    query: Filters,
    resources: Resources,
    interval: Annotated[Interval, Query(description="day, week or month.")] = "day",
) -> Counts:
    buckets = await resources.store.counts(query, interval)
    return Counts(
        interval=interval, buckets=buckets, undated=await _undated(query, buckets, resources)
    )


async def _undated(query: ArticleQuery, buckets: list[Bucket], resources: ApiResources) -> int:
    """Matches missing from the buckets: only undated ones can be, and a date bound
    excludes those already (no second query then)."""
    if query.date_from is not None or query.date_to is not None:
        return 0
    total = (await resources.store.search(query.model_copy(update={"limit": 1}), None)).total
    return max(total - sum(bucket.count for bucket in buckets), 0)


@router.get(
    "/api/top/{facet}",
    response_model=TopValues,
    summary="The most frequent values of a facet among the matching articles.",
    description=f"The most frequent first: `limit` values, or {TOP_DEFAULT} without it.",
    responses=_ERRORS,
)
async def top_values(
    facet: Facet, query: Filters, resources: Resources, request: Request
) -> TopValues:
    # A page's default (20) would hide most of a facet: countries alone are ~250 values.
    size = query.limit if "limit" in request.query_params else TOP_DEFAULT
    return TopValues(facet=facet, items=await resources.store.top(query, facet, size))
