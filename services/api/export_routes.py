"""`/api/export`: every article matching the filters, streamed (no page limit; the store
reads them through a server-side cursor, so memory stays bounded however many match)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from services.api.export_rows import CSV_COLUMNS, MEDIA_TYPES, ExportFormat, export_chunks
from services.api.query_params import article_query
from services.api.resources import ApiResources, resources_of
from shared.store.article_query import ArticleQuery
from shared.store.read_models import ArticleSummary

router = APIRouter(tags=["read"])


@router.get(
    "/api/export",
    summary="Every matching article, streamed as CSV or JSON lines.",
    description=f"CSV columns: {', '.join(CSV_COLUMNS)} (lists joined with `; `). JSON "
    "lines: the items of /api/articles without the snippet. `limit` and `cursor` are ignored.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/x-ndjson": {}}},
        400: {"description": 'A malformed parameter: `{"error": "<what is wrong>"}`.'},
        503: {"description": "The store is down, busy or too slow for the query."},
    },
)
async def export_articles(
    query: Annotated[ArticleQuery, Depends(article_query)],
    resources: Annotated[ApiResources, Depends(resources_of)],
    export_format: Annotated[ExportFormat, Query(alias="format")] = "csv",
) -> StreamingResponse:
    # Every match, not one page: the cursor and limit of a page do not apply.
    everything = query.model_copy(update={"cursor": None})
    filename = f"newsflow-export.{export_format}"
    rows = resources.store.export(everything)
    # The first row is read before answering: a store down, busy or too slow for the query
    # is a 503 then, not a 200 whose body breaks off.
    first = await anext(rows, None)
    return StreamingResponse(
        export_chunks(_starting_with(first, rows), export_format),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _starting_with(
    first: ArticleSummary | None, rest: AsyncIterator[ArticleSummary]
) -> AsyncIterator[ArticleSummary]:
    if first is not None:
        yield first
    async for summary in rest:
        yield summary
