"""`/api/stream`: Server-Sent Events of newly enriched articles matching the filters
(`live_articles.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse

from services.api.live_articles import checked_entry_id, live_frames
from services.api.query_params import article_query
from services.api.resources import ApiResources, resources_of
from shared.store.article_query import ArticleQuery

router = APIRouter(tags=["live"])


@router.get(
    "/api/stream",
    summary="Newly enriched articles matching the filters, as Server-Sent Events.",
    description="`event: article`, `data:` the article's summary (as in /api/articles), "
    "`id:` its entry id on the enriched stream. Send it back as `Last-Event-ID` to resume "
    "after it. A `: keepalive` comment comes at least every 15 s.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        400: {"description": 'A malformed parameter: `{"error": "<what is wrong>"}`.'},
    },
)
async def stream_articles(
    query: Annotated[ArticleQuery, Depends(article_query)],
    resources: Annotated[ApiResources, Depends(resources_of)],
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    after = checked_entry_id(last_event_id)
    return StreamingResponse(
        live_frames(resources.redis, resources.names.enriched, query, after),
        media_type="text/event-stream",
        # No proxy may buffer or cache a live stream.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
