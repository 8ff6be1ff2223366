"""`GET /api/sources`: the sources the fetcher follows (`newsflow sources add`), read-only,
each with its figures (shared/source_figures.py says where each is read from)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from services.api.resources import ApiResources, resources_of
from shared.source_figures import SourceFigures, source_figures

router = APIRouter(tags=["sources"])


class Sources(BaseModel):
    items: list[SourceFigures]


@router.get(
    "/api/sources",
    response_model=Sources,
    summary="The sources followed, with their figures.",
    description="Per source: feeds and sitemaps polled, articles seen (published once each), "
    "stored (rows under its name), dead-lettered by reason (dead letters still kept), last "
    "poll, last success, last error. Sources are added with `newsflow sources add`.",
)
async def list_sources(resources: Annotated[ApiResources, Depends(resources_of)]) -> Sources:
    return Sources(items=await source_figures(resources.redis, resources.names, resources.store))
