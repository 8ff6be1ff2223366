"""One HTTP exchange with httpx: the guarded client, and reading a response within limits.

Redirects are not followed here: `PoliteClient` follows them hop by hop, so each hop passes
the scheme check, robots.txt and its host's politeness gate like any other request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import h11
import httpcore
import httpx

from services.fetcher.charset import page_charset
from shared.content_decoding import (
    CorruptContent,
    DecodedTooLarge,
    StreamDecoder,
    content_codings,
)
from shared.errors import Rejected
from shared.media_type import media_type_of
from shared.ssrf import AllowList, GuardedTransport

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
        "text/xml", "application/feed+json", "text/html", "text/plain",
    }
)  # fmt: skip
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Many hosts at once: the per-host cap lives in the politeness gate, not in the pool.
_POOL_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float
    connect_timeout_s: float
    read_timeout_s: float
    user_agent: str
    max_redirects: int = 10


@dataclass(frozen=True)
class Download:
    requested_url: str
    final_url: str
    status_code: int
    content_type: str | None
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


class ServerTrouble(Exception):
    """5xx, 408 or 429: worth retrying later."""

    def __init__(self, status_code: int, retry_after: str | None, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


def make_http_client(
    limits: FetchLimits,
    allow: AllowList,
    *,
    inner_backend: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    # trust_env=False: a proxy from the environment would make every connection go to the
    # proxy's address, and the SSRF guard could no longer see where a request really goes.
    return httpx.AsyncClient(
        transport=GuardedTransport(allow, inner_backend=inner_backend, limits=_POOL_LIMITS),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(
            limits.read_timeout_s, connect=limits.connect_timeout_s, pool=limits.timeout_s
        ),
        headers={
            "User-Agent": limits.user_agent,
            "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate, br",
        },
    )


def check_status(response: httpx.Response, url: str) -> None:
    """Errors the page causes are `Rejected` (DLQ now); the server's trouble is retried."""
    status = response.status_code
    if status in (408, 429) or status >= 500:
        raise ServerTrouble(status, response.headers.get("retry-after"), f"GET {url} -> {status}")
    if status >= 300:
        raise Rejected(f"http_{status}", f"GET {url} -> {status}")


async def decoded_pieces(response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """The response body, its content codings undone here rather than by httpx: httpx
    decodes a whole chunk at once, and a 5 KB chunk of `gzip, gzip` is a GiB. Yields at most
    `limit` bytes, then raises `DecodedTooLarge`; `CorruptContent` when a coding is broken."""
    codings = content_codings(response.headers.get_list("content-encoding"))
    decoder = StreamDecoder(codings, limit)
    async for raw in response.aiter_raw():
        for piece in decoder.decode(raw):
            yield piece


def is_malformed_response(exc: httpx.RemoteProtocolError) -> bool:
    """The server's answer broke HTTP (a 1 MB header, an illegal status line or chunk): it
    will break it the same way next time. A connection closed early is not that."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, h11.RemoteProtocolError):
            return not str(cause).startswith("peer closed")
        cause = cause.__cause__ or cause.__context__
    return False


async def read_body(
    response: httpx.Response, url: str, limits: FetchLimits, accepted_types: frozenset[str]
) -> Download:
    """Check type and size, then read the decoded body, stopping at the cap: the cap counts
    decoded bytes as they are decoded, so a small compression bomb is cut off too."""
    media_type = media_type_of(response.headers.get("content-type"))
    if media_type is not None and media_type not in accepted_types:
        raise Rejected("unsupported_type", f"{url} is {media_type}, not a web page")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise Rejected("too_large", f"{url} declares {declared} bytes, over {limits.max_bytes}")
    body = bytearray()
    try:
        async for piece in decoded_pieces(response, limits.max_bytes):
            body.extend(piece)
    except DecodedTooLarge as exc:
        raise Rejected("too_large", f"{url} is {exc}") from exc
    except CorruptContent as exc:
        raise Rejected("bad_response", f"{url}: {exc}") from exc
    data = bytes(body)
    return Download(
        requested_url=url,
        final_url=str(response.url),
        status_code=response.status_code,
        content_type=media_type,
        charset=page_charset(data, response.charset_encoding),
        body=data,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )
