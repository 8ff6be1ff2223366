"""Every error the api answers is JSON `{"error": "<message>"}`: a malformed query is a 400
saying what is wrong, the store down or a query it cut off a 503, never a 500 (a 500 is a
bug of ours, logged with its traceback)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.errors import Unavailable
from shared.logs import get_logger
from shared.store.article_query import QueryError
from shared.store.store_errors import QueryTooSlow
from shared.validation_text import reason_of

log = get_logger("newsflow.api")


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    """One line naming each refused parameter and why, e.g. `limit: Input should be a valid
    integer`; the refused value is not echoed back."""
    parts = []
    for error in exc.errors():
        where = [str(part) for part in error.get("loc", ()) if part not in ("query", "body")]
        parts.append(f"{'.'.join(where) or 'request'}: {reason_of(error)}")
    return "; ".join(parts) or "invalid request"


async def _query_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryError)
    return problem(400, exc.message)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem(400, validation_message(exc))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), dict(exc.headers or {}))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The store is down, or cut a query off: a 503 the caller can act on. A query too
    broad is said as such; an outage's own words (hosts, ports) stay in the log."""
    assert isinstance(exc, Unavailable)
    log.warning("api_store_unavailable", path=request.url.path, error=str(exc)[:500])
    message = str(exc) if isinstance(exc, QueryTooSlow) else "the store is unavailable: try again"
    return problem(503, message, {"Retry-After": "5"})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("api_request_failed", path=request.url.path, exc_info=exc)
    return problem(500, "internal error")


def answer_errors_as_json(app: FastAPI) -> None:
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
