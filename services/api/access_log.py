"""The api's access log: one JSON line per answered request, on stderr with the stages' lines.

Which requests: `NEWSFLOW_API_ACCESS_LOG`. By default (`writes`) every write (a publish, an
alert or a source changed) and every request refused or failed, so who changed what is on
record while the page's polling and the health probes stay out; `all` adds every read,
`off` writes none. The lines are written whatever `NEWSFLOW_LOG_LEVEL` says: they are a
record, not a diagnostic.

Never in a line: the Authorization header, or a query parameter named like a secret
(token, key, password...); a password in a URL is masked like every line's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

import structlog
from fastapi import FastAPI, Request, Response

from shared.secret_text import SECRET_NAME
from shared.settings import AccessLogChoice

READS = frozenset({"GET", "HEAD", "OPTIONS"})

_AT_INFO = structlog.make_filtering_bound_logger(logging.INFO)


def _access_logger() -> structlog.typing.FilteringBoundLogger:
    """At INFO whatever the stages' level (their wrapper would drop these lines at WARNING),
    through the processors configured when the line is written, not when first used."""
    return structlog.wrap_logger(  # type: ignore[no-any-return]
        None, wrapper_class=_AT_INFO, cache_logger_on_first_use=False
    )


def logged(choice: AccessLogChoice, method: str, status: int) -> bool:
    if choice == "off":
        return False
    return choice == "all" or method not in READS or status >= 400


def shown_query(query: str) -> str:
    """The query string with the values of secret-named parameters withheld."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, "(withheld)" if SECRET_NAME.search(name) else value) for name, value in pairs]
    )


def add_to_access_line(request: Request, **fields: str) -> None:
    """What a route adds to its request's line (a published article's id and trace id, an
    alert's name). The request's state, not the log context: the route runs in a task of
    its own, whose context the middleware does not see."""
    request.state.access_fields = {**getattr(request.state, "access_fields", {}), **fields}


def log_requests(app: FastAPI, choice: AccessLogChoice) -> None:
    """Each chosen request's line: method, path, query, status, time to the answer's
    headers (a live stream's lasts longer), client, and what the route added."""
    if choice == "off":
        return

    @app.middleware("http")
    async def write_access_line(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        if logged(choice, request.method, response.status_code):
            _access_logger().info(
                "request",
                method=request.method,
                path=request.url.path,
                query=shown_query(request.url.query),
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                client=request.client.host if request.client else None,
                **getattr(request.state, "access_fields", {}),
            )
        return response
