"""The gate of the write routes (publish, alerts): the bearer token is checked from the
headers before a byte of the body is read, and the body is read only up to a cap.

FastAPI reads and parses a body before any dependency runs, so a route's own token check
comes too late: a caller without the token would get a 400 for a malformed body (telling
it more than "no"), and an unauthenticated 150 MB body would be held in memory before the
401. Here, in front of the app, a refused caller gets its 401/403 with the body unread, and
an authorized one its 413 as soon as the body (or its Content-Length) passes the cap; the
routes then get the body from memory, whole, as they would have read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.access_log import READS
from services.api.bearer_token import Refusal, check_bearer

# Room beyond NEWSFLOW_MAX_CONTENT_BYTES in a publish body: the JSON around the content
# (hints, url, source) and its escaping. Content counts in UTF-8 bytes, but JSON may carry
# it as \uXXXX escapes (two bytes or more per byte) or as base64 (`content_b64`, 4/3), so
# the cap is twice the content's plus room for the rest.
PUBLISH_ENVELOPE_BYTES = 64 * 1024
# An alert is a name, a query of at most MAX_FILTER_VALUES values per filter and a webhook.
ALERT_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class WriteRoute:
    action: str  # names the write in the refusals, as the routes' own checks do
    max_body_bytes: int


def publish_body_cap(max_content_bytes: int) -> int:
    return 2 * max_content_bytes + PUBLISH_ENVELOPE_BYTES


def write_route_of(method: str, path: str, max_content_bytes: int) -> WriteRoute | None:
    """The write route a request is for, if it is one (reads pass ungated)."""
    if method in READS:
        return None
    if path.rstrip("/") == "/api/articles":
        return WriteRoute("publishing", publish_body_cap(max_content_bytes))
    if path.rstrip("/") == "/api/alerts" or path.startswith("/api/alerts/"):
        return WriteRoute("changing alerts", ALERT_BODY_BYTES)
    return None


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class WriteGuard:
    """ASGI middleware, in front of the app's routes (inside the access log and metrics,
    which count its refusals)."""

    def __init__(self, app: ASGIApp, token: SecretStr | None, max_content_bytes: int) -> None:
        self.app = app
        self.token = token
        self.max_content_bytes = max_content_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http":
            route = write_route_of(scope["method"], scope["path"], self.max_content_bytes)
        if route is None:
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        try:
            check_bearer(self.token, authorization, route.action)
        except Refusal as refusal:
            extra = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else {}
            await _answer(send, refusal.status, refusal.message, extra)
            return
        too_large = f"the body is over {route.max_body_bytes} bytes"
        if _declared_length(headers) > route.max_body_bytes:
            await _answer(send, 413, too_large)
            return
        try:
            body = await _read_body(receive, route.max_body_bytes)
        except BodyTooLarge:
            await _answer(send, 413, too_large)
            return
        except ClientGone:
            return  # nobody to answer
        await self.app(scope, _replay(body, receive), send)


def _declared_length(headers: dict[bytes, bytes]) -> int:
    try:
        return int(headers.get(b"content-length", b"0"))
    except ValueError:
        return 0  # the server refuses a malformed length before it gets here


async def _read_body(receive: Receive, cap: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `cap` (nothing more is read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, as one message; then the server's own (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _answer(
    send: Send, status: int, message: str, headers: dict[str, str] | None = None
) -> None:
    body = orjson.dumps({"error": message})
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def guard_writes(app: FastAPI, token: SecretStr | None, max_content_bytes: int) -> None:
    app.add_middleware(WriteGuard, token=token, max_content_bytes=max_content_bytes)
