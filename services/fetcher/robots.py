"""robots.txt: fetched once per origin, cached for a while, obeyed for our User-Agent.

What an answer means follows RFC 9309: 2xx is the rules; 4xx means there are none (the site
has no robots.txt); 5xx or no answer means "unreachable", which is not a yes, so the URL is
retried later rather than fetched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

# RFC 9309 asks crawlers to read at least 500 KiB; more than that is not a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024
# Origins cached before expired entries are swept out: a crawl of many sites must not keep
# every robots.txt it ever read.
_PRUNE_AT = 10_000


@dataclass(frozen=True)
class RobotsAnswer:
    status_code: int
    text: str


class RobotsUnreachable(Exception):
    """robots.txt answered 5xx or not at all: retry the page later."""


@dataclass(frozen=True)
class RobotsRules:
    parsed: Protego | None  # None: no robots.txt, everything allowed

    def allows(self, url: str, user_agent: str) -> bool:
        return self.parsed is None or bool(self.parsed.can_fetch(url, user_agent))

    def crawl_delay_s(self, user_agent: str) -> float | None:
        if self.parsed is None:
            return None
        delay = self.parsed.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def rules_from_answer(answer: RobotsAnswer) -> RobotsRules:
    if 200 <= answer.status_code < 300:
        return RobotsRules(Protego.parse(answer.text))
    if answer.status_code == 429 or answer.status_code >= 500:
        raise RobotsUnreachable(f"robots.txt answered {answer.status_code}")
    return RobotsRules(None)


FetchRobots = Callable[[str], Awaitable[RobotsAnswer]]


class RobotsCache:
    """Rules per origin (scheme://host:port), each fetched once per `ttl_s`."""

    def __init__(
        self, fetch: FetchRobots, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fetch = fetch
        self.ttl_s = ttl_s
        self.clock = clock
        self._rules: dict[str, tuple[float, RobotsRules]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules_for(self, url: str) -> RobotsRules:
        origin = robots_url(url)
        cached = self._rules.get(origin)
        if cached and cached[0] > self.clock():
            return cached[1]
        # One fetch per origin even when many of its pages arrive at once.
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._rules.get(origin)
            if cached and cached[0] > self.clock():
                return cached[1]
            rules = rules_from_answer(await self.fetch(origin))
            if len(self._rules) >= _PRUNE_AT:
                self._forget_expired()
            self._rules[origin] = (self.clock() + self.ttl_s, rules)
            return rules

    def _forget_expired(self) -> None:
        now = self.clock()
        for origin in [o for o, (expires, _) in self._rules.items() if expires <= now]:
            del self._rules[origin]
            lock = self._locks.get(origin)
            if lock is not None and not lock.locked():
                del self._locks[origin]
