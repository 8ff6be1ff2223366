"""Fetching one URL the way a well-behaved crawler does.

Every hop of a redirect chain is checked like a fresh request: its scheme (SSRF), robots.txt
for its origin, and its host's politeness gate; the connection itself goes through the SSRF
guard in the transport. What comes back is a `Download`, `NotModified`, or an exception that
says whether retrying can help (`Rejected` cannot).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from services.fetcher.download import (
    PAGE_TYPES,
    REDIRECT_CODES,
    Download,
    FetchLimits,
    ServerTrouble,
    check_status,
    decoded_pieces,
    is_malformed_response,
    read_body,
)
from services.fetcher.politeness import HostPaused, HostPoliteness, retry_after_seconds
from services.fetcher.robots import (
    ROBOTS_MAX_BYTES,
    RobotsAnswer,
    RobotsCache,
    RobotsUnreachable,
)
from shared.content_decoding import CorruptContent, DecodedTooLarge
from shared.errors import Rejected
from shared.metrics import FETCH_RESPONSES
from shared.ssrf import BlockedAddress, HostNotFound, refusal_of_scheme
from shared.urls import host_key


@dataclass(frozen=True)
class NotModified:
    """304 to a conditional GET: what we have is still current."""

    url: str


class FetchTimeout(Exception):
    """The exchange took longer than the total timeout: retried later."""


class PoliteClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: FetchLimits,
        politeness: HostPoliteness,
        *,
        robots_ttl_s: float,
        obey_robots: bool = True,
    ) -> None:
        self.http = http
        self.limits = limits
        self.politeness = politeness
        self.obey_robots = obey_robots
        self.robots = RobotsCache(self._fetch_robots, robots_ttl_s)

    async def get(
        self,
        url: str,
        *,
        accepted_types: frozenset[str] = PAGE_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> Download | NotModified:
        """GET `url`, following up to `max_redirects` redirects. `headers` (e.g. If-None-Match)
        go with the first hop only: a redirect target is another resource."""
        current = url
        extra = dict(headers or {})
        for _hop in range(self.limits.max_redirects + 1):
            result = await self._one_hop(current, accepted_types, extra)
            if isinstance(result, str):
                current, extra = result, {}
                continue
            if isinstance(result, NotModified):
                return result
            return Download(
                requested_url=url,
                final_url=result.final_url,
                status_code=result.status_code,
                content_type=result.content_type,
                charset=result.charset,
                body=result.body,
                etag=result.etag,
                last_modified=result.last_modified,
            )
        raise Rejected(
            "too_many_redirects", f"{url}: more than {self.limits.max_redirects} redirects"
        )

    async def _one_hop(
        self, url: str, accepted_types: frozenset[str], headers: dict[str, str]
    ) -> Download | NotModified | str:
        """The download, a 304, or the URL a redirect points to."""
        if refusal := refusal_of_scheme(url):
            raise Rejected("ssrf", refusal)
        _check_parses(url)  # before robots.txt, whose fetch would trip on it the same way
        host = host_key(url)
        crawl_delay = None
        if self.obey_robots:
            rules = await self.robots.rules_for(url)
            if not rules.allows(url, self.limits.user_agent):
                raise Rejected("robots", f"robots.txt of {host} disallows {url}")
            crawl_delay = rules.crawl_delay_s(self.limits.user_agent)
        async with self.politeness.turn(host, min_interval_s=crawl_delay):
            try:
                async with asyncio.timeout(self.limits.timeout_s):
                    result = await self._exchange(url, accepted_types, headers)
            except TimeoutError as exc:
                self.politeness.failed(host)
                raise FetchTimeout(f"GET {url} took over {self.limits.timeout_s}s") from exc
            except ServerTrouble as exc:
                wait = retry_after_seconds(exc.retry_after)
                if exc.status_code in (429, 503) and wait is not None:
                    paused = self.politeness.asked_to_wait(host, wait)
                else:
                    paused = self.politeness.failed(host)
                raise HostPaused(f"{exc}; {host} paused for {paused:.0f}s") from exc
            except httpx.TransportError:
                self.politeness.failed(host)
                raise
        self.politeness.succeeded(host)
        return result

    async def _exchange(
        self, url: str, accepted_types: frozenset[str], headers: dict[str, str]
    ) -> Download | NotModified | str:
        try:
            async with self.http.stream("GET", url, headers=headers) as response:
                _count(response)
                if response.status_code in REDIRECT_CODES and "location" in response.headers:
                    return urljoin(url, response.headers["location"].strip())
                if response.status_code == 304 and headers:
                    return NotModified(url)
                check_status(response, url)
                return await read_body(response, url, self.limits, accepted_types)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise Rejected("invalid_url", f"{url[:200]}: {exc}") from exc
        except (BlockedAddress, HostNotFound, httpx.RemoteProtocolError) as exc:
            if (rejected := _permanent(exc, url)) is not None:
                raise rejected from exc
            raise

    async def _fetch_robots(self, robots_url: str) -> RobotsAnswer:
        """robots.txt goes through the same guard and gate as pages, but its redirects are
        followed inside httpx: RFC 9309 allows five hops, and a redirect to another origin
        is that origin's robots.txt only for this one's purposes."""
        host = host_key(robots_url)
        async with self.politeness.turn(host):
            try:
                async with asyncio.timeout(self.limits.timeout_s):
                    answer = await self._read_robots(robots_url)
                if answer.status_code == 429 or answer.status_code >= 500:
                    self.politeness.failed(host)  # its pages then wait out the backoff too
                return answer
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise Rejected("invalid_url", f"{robots_url[:200]}: {exc}") from exc
            except (BlockedAddress, HostNotFound, httpx.RemoteProtocolError) as exc:
                if (rejected := _permanent(exc, robots_url)) is not None:
                    raise rejected from exc
                self.politeness.failed(host)
                raise RobotsUnreachable(f"{robots_url}: {exc!r}") from exc
            except (TimeoutError, httpx.TransportError) as exc:
                self.politeness.failed(host)
                raise RobotsUnreachable(f"{robots_url}: {exc!r}") from exc

    async def _read_robots(self, robots_url: str) -> RobotsAnswer:
        url = robots_url
        for _hop in range(6):
            if refusal_of_scheme(url):
                return RobotsAnswer(404, "")
            async with self.http.stream("GET", url) as response:
                _count(response)
                if response.status_code in REDIRECT_CODES and "location" in response.headers:
                    url = urljoin(url, response.headers["location"].strip())
                    continue
                if response.status_code >= 300:
                    return RobotsAnswer(response.status_code, "")
                body = bytearray()
                # Only the first ROBOTS_MAX_BYTES count; a broken coding reads as no rules.
                with contextlib.suppress(DecodedTooLarge, CorruptContent):
                    async for piece in decoded_pieces(response, ROBOTS_MAX_BYTES):
                        body.extend(piece)
                return RobotsAnswer(response.status_code, bytes(body).decode("utf-8", "replace"))
        return RobotsAnswer(404, "")  # a redirect loop: treated as no robots.txt


def _check_parses(url: str) -> None:
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:  # a host in full-width digits, say: IDNA refuses it
        raise Rejected("invalid_url", f"{url[:200]}: {exc}") from exc


def _permanent(exc: Exception, url: str) -> Rejected | None:
    """The dead-letter reason of an error that will recur on every retry, else None."""
    if isinstance(exc, BlockedAddress):
        return Rejected("ssrf", str(exc))
    if isinstance(exc, HostNotFound):
        return Rejected("dns_not_found", str(exc))
    if isinstance(exc, httpx.RemoteProtocolError) and is_malformed_response(exc):
        return Rejected("bad_response", f"{url[:200]}: {exc}")
    return None


def _count(response: httpx.Response) -> None:
    FETCH_RESPONSES.labels(host=host_key(str(response.url)), status=str(response.status_code)).inc()
