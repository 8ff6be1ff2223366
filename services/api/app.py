"""The api's ASGI app: wiring only. Each concern's routes are in their own module; what the
app holds open (store, Redis) is `resources.py`; every error is JSON (`problems.py`).

    uvicorn services.api.app:app        (what `newsflow serve` and `newsflow up` run)
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.api import (
    alert_routes,
    export_routes,
    health_routes,
    publish_routes,
    read_routes,
    source_routes,
    story_routes,
    stream_routes,
)
from services.api.access_log import log_requests
from services.api.health_routes import count_requests
from services.api.problems import answer_errors_as_json
from services.api.resources import lifespan_of
from services.api.write_guard import guard_writes
from shared.pipeline import HTTP_SERVICES
from shared.settings import Settings, get_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

_API = next(service for service in HTTP_SERVICES if service.name == "api")


def build_api_app(settings: Settings) -> FastAPI:
    """The app over `settings`'s store and streams; nothing is opened until it starts."""
    app = FastAPI(
        title="newsflow api",
        version="1",
        description=_API.purpose,
        lifespan=lifespan_of(settings),
    )
    answer_errors_as_json(app)
    # First, so innermost: the access log and the metrics see its refusals.
    guard_writes(app, settings.api_token, settings.max_content_bytes)
    count_requests(app)
    log_requests(app, settings.api_access_log)
    for routes in (
        read_routes,
        story_routes,
        export_routes,
        stream_routes,
        publish_routes,
        alert_routes,
        source_routes,
        health_routes,
    ):
        app.include_router(routes.router)
    # Last, so /api/* and /health/* win: the web page and its files.
    if STATIC_DIR.is_dir():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="page")
    return app


app = build_api_app(get_settings())
