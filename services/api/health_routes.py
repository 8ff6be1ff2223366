"""`/health/live`, `/health/ready` and `/metrics`, the same three answers every stage gives
(shared/health.py), so compose's healthcheck and Prometheus treat the api like the others."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from services.api.resources import ApiResources, resources_of

REQUESTS = Counter(
    "newsflow_api_requests", "Requests the api answered, by route and status.", ["route", "status"]
)
REQUEST_SECONDS = Histogram(
    "newsflow_api_request_seconds",
    "Time the api took to answer (to start streaming, for export and stream), by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

router = APIRouter(tags=["health"])


@router.get("/health/live", summary="The process answers.")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/health/ready",
    summary="The store and Redis answer (503 otherwise).",
    responses={503: {"description": "A dependency does not answer."}},
)
async def ready(resources: Annotated[ApiResources, Depends(resources_of)]) -> JSONResponse:
    checks = await resources.readiness()
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics.", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def count_requests(app: FastAPI) -> None:
    """Every answer counted by its route's template (`/api/articles/{article_id}`, not the
    id: one series per route, however many ids are asked for)."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "other"
        REQUESTS.labels(template, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(template).observe(time.perf_counter() - started)
        return response
