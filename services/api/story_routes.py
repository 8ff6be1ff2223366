"""The stories read side: a page of stories having at least one article that matches the
articles' filters, sorted by size or recency, and one story with its articles. An id merged
into another story answers with that story (its `id` is the canonical one, `aliases` lists
the merged ids), so an old link keeps working."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from services.api.query_params import article_filters, refuse_nul
from services.api.resources import ApiResources, resources_of
from shared.store.article_query import MAX_LIMIT, ArticleQuery
from shared.store.read_models import TOTAL_CAP
from shared.store.story_models import StoryDetail, StoryPage
from shared.store.story_query import StoryQuery, StorySort

router = APIRouter(tags=["stories"])

Resources = Annotated[ApiResources, Depends(resources_of)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": 'A malformed parameter: `{"error": "<what is wrong>"}`.'}
}


def story_query(
    filters: Annotated[ArticleQuery, Depends(article_filters)],
    sort: Annotated[
        StorySort,
        Query(description="recent (latest seen first, the default) or size (most articles)."),
    ] = "recent",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Stories per page.")] = 20,
    cursor: Annotated[
        str | None, Query(description="The `next` of the previous page.", max_length=2000)
    ] = None,
) -> StoryQuery:
    refuse_nul({"cursor": [cursor or ""]})
    query = StoryQuery(filters=filters, sort=sort, limit=limit, cursor=cursor)
    query.check()
    return query


@router.get(
    "/api/stories",
    response_model=StoryPage,
    summary="Stories with at least one article matching the filters, a page at a time.",
    description="The filters are `/api/articles`' (a story matches when one of its articles "
    f"does). `total` counts up to {TOTAL_CAP:,} stories, as for articles; `next` is the "
    "cursor of the following page (null on the last).",
    responses=_ERRORS,
)
async def search_stories(
    query: Annotated[StoryQuery, Depends(story_query)], resources: Resources
) -> StoryPage:
    return await resources.store.stories(query)


@router.get(
    "/api/stories/{story_id}",
    response_model=StoryDetail,
    summary="One story with its articles; a merged story's old id answers with the story.",
    responses={404: {"description": "No stored story has this id (nor was merged from it)."}},
)
async def get_story(
    story_id: Annotated[str, Path(max_length=200)], resources: Resources
) -> StoryDetail:
    story = None if "\x00" in story_id else await resources.store.story(story_id)
    if story is None:
        raise HTTPException(404, "no stored story has this id")
    return story
