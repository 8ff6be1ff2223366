"""The api's answers to the store being down or cutting a query off: a 503 in JSON with a
Retry-After, the query's message when it was too broad, and no host or port of an outage."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from services.api.problems import answer_errors_as_json
from shared.errors import Unavailable
from shared.store.store_errors import QueryTooSlow


def _app_raising(exc: Exception) -> FastAPI:
    app = FastAPI()
    answer_errors_as_json(app)

    @app.get("/read")
    async def read() -> None:
        raise exc

    return app


async def _answer(exc: Exception) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app_raising(exc))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        return await client.get("/read")


async def test_a_query_cut_off_is_a_503_saying_to_narrow_it() -> None:
    answer = await _answer(QueryTooSlow("the query ran longer than 30 s: narrow it"))
    assert answer.status_code == 503
    assert answer.json() == {"error": "the query ran longer than 30 s: narrow it"}
    assert answer.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    "outage",
    [
        "PostgreSQL: OperationalError: connection to server at 10.0.3.7, port 5432 failed",
        "SQLite: OperationalError: database is locked",
    ],
)
async def test_an_outage_is_a_503_without_its_details(outage: str) -> None:
    answer = await _answer(Unavailable(outage))
    assert answer.status_code == 503
    assert answer.json() == {"error": "the store is unavailable: try again"}
