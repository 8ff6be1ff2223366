"""`/api/export`: every article matching the filters, streamed (no page limit; the store
reads them through a server-side cursor, so memory stays bounded however many match)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from services.api.export_rows import CSV_COLUMNS, MEDIA_TYPES, ExportFormat, export_chunks
from services.api.query_params import article_query
from services.api.resources import ApiResources, resources_of
from shared.store.article_query import ArticleQuery

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
    return StreamingResponse(
        export_chunks(resources.store.export(everything), export_format),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
