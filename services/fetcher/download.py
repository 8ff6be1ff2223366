"""Download one page with httpx: bounded in time and size, redirects followed and recorded."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from shared.errors import Rejected

_MAX_REDIRECTS = 10
_FETCHABLE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml",
                    "text/xml")


@dataclass(frozen=True)
class Download:
    requested_url: str
    final_url: str
    status_code: int
    content_type: str | None
    charset: str | None
    body: bytes


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float
    connect_timeout_s: float
    user_agent: str


def make_http_client(limits: FetchLimits) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=_MAX_REDIRECTS,
        timeout=httpx.Timeout(limits.timeout_s, connect=limits.connect_timeout_s),
        headers={"User-Agent": limits.user_agent, "Accept": "text/html,application/xhtml+xml,"
                 "text/plain;q=0.9,*/*;q=0.5"},
    )


async def download(client: httpx.AsyncClient, url: str, limits: FetchLimits) -> Download:
    """Fetch `url`. Errors the page itself causes (4xx, wrong type, too big) are `Rejected`;
    network trouble and 5xx raise `httpx` errors so the stage retries them."""
    try:
        async with client.stream("GET", url) as response:
            if response.status_code in (408, 429) or response.status_code >= 500:
                response.raise_for_status()
            if response.status_code >= 400:
                raise Rejected(f"http_{response.status_code}", f"GET {url} -> {response.status_code}")
            content_type = response.headers.get("content-type", "")
            media_type = content_type.split(";", 1)[0].strip().lower() or None
            if media_type and not media_type.startswith(_FETCHABLE_TYPES):
                raise Rejected("unsupported_type", f"{url} is {media_type}, not a web page")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise Rejected("too_large", f"{url} declares {declared} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > limits.max_bytes:
                    raise Rejected("too_large", f"{url} is over {limits.max_bytes} bytes")
            return Download(
                requested_url=url,
                final_url=str(response.url),
                status_code=response.status_code,
                content_type=media_type,
                charset=response.charset_encoding,
                body=bytes(body),
            )
    except httpx.TooManyRedirects as exc:
        raise Rejected("too_many_redirects", str(exc)) from exc
    except httpx.UnsupportedProtocol as exc:
        raise Rejected("unsupported_url", str(exc)) from exc
    except httpx.InvalidURL as exc:
        raise Rejected("invalid_url", str(exc)) from exc
