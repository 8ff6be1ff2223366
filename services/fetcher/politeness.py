"""Politeness per host[:port]: spacing, a concurrency cap, Retry-After and backoff.

Each host has its own gate, so waiting for one host never delays requests to another:
the fetcher works on many entries at once and only those for a busy host queue behind it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from shared.errors import Deferred

# Hosts remembered before idle ones are swept out (a crawl of many sites stays bounded).
_PRUNE_AT = 10_000


class HostPaused(Deferred):
    """The host asked us to wait (429/503), keeps failing, or its next turn is further off
    than an entry should hold a worker: the entry is retried later by the stage runner,
    which does not count it as a failure."""


@dataclass(frozen=True)
class PolitenessRules:
    interval_s: float = 1.0
    concurrency: int = 2
    max_pause_s: float = 300.0
    max_wait_s: float = 30.0


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_s(consecutive_failures: int, *, base_s: float = 1.0, cap_s: float = 300.0) -> float:
    """1, 2, 4, ... seconds after the 1st, 2nd, 3rd... failure in a row, up to `cap_s`."""
    if consecutive_failures <= 0:
        return 0.0
    return float(min(cap_s, base_s * 2 ** min(consecutive_failures - 1, 30)))


@dataclass
class _HostState:
    slots: asyncio.Semaphore
    next_start: float = 0.0
    paused_until: float = 0.0
    failures: int = 0
    users: int = 0  # entries waiting for or holding a slot
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)


class HostPoliteness:
    """In-process gates keyed by host[:port]. One fetcher process, one set of gates: with
    several replicas each keeps its own pace, so set the interval with that in mind."""

    def __init__(self, rules: PolitenessRules, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules
        self.clock = clock
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            if len(self._hosts) >= _PRUNE_AT:
                self._forget_idle_hosts()
            state = _HostState(slots=asyncio.Semaphore(self.rules.concurrency))
            self._hosts[host] = state
        return state

    def _forget_idle_hosts(self) -> None:
        """Hosts with nothing in flight, nothing owed and no pause are forgotten: their
        state would be the same if made anew."""
        now = self.clock()
        for host, state in list(self._hosts.items()):
            owes_nothing = max(state.next_start, state.paused_until) <= now
            if state.users == 0 and state.failures == 0 and owes_nothing:
                del self._hosts[host]

    def paused_for(self, host: str) -> float:
        state = self._hosts.get(host)
        return max(0.0, state.paused_until - self.clock()) if state else 0.0

    @asynccontextmanager
    async def turn(self, host: str, *, min_interval_s: float | None = None) -> AsyncIterator[None]:
        """Wait for a request slot to `host`: a free concurrency slot, the host's pause over,
        and the interval since the previous request started. `min_interval_s` raises the
        interval (robots.txt Crawl-delay)."""
        state = self._state(host)
        self._raise_if_paused_long(host, state)
        state.users += 1
        try:
            async with state.slots:
                self._raise_if_paused_long(host, state)
                # A robots.txt Crawl-delay is the site's to set, so it is held to the longest
                # pause we honour from any host (Retry-After, backoff): 86400 would stall it.
                interval = min(
                    max(self.rules.interval_s, min_interval_s or 0.0), self.rules.max_pause_s
                )
                # Start times are handed out one at a time so no two waiters take the same.
                async with state.spacing:
                    before = state.next_start
                    start = max(self.clock(), state.next_start, state.paused_until)
                    wait = start - self.clock()
                    if wait > self.rules.max_wait_s:
                        # Nothing reserved: the entry comes back later and asks again.
                        raise HostPaused(f"{host}'s next turn is {wait:.0f}s away")
                    state.next_start = start + interval
                try:
                    if wait > 0:
                        await asyncio.sleep(wait)
                except BaseException:
                    # A waiter that gives up (cancelled, timed out) hands its start back,
                    # unless a later waiter has already been given the one after it.
                    if state.next_start == start + interval:
                        state.next_start = before
                    raise
                yield
        finally:
            state.users -= 1

    def _raise_if_paused_long(self, host: str, state: _HostState) -> None:
        left = state.paused_until - self.clock()
        if left > self.rules.max_wait_s:
            raise HostPaused(f"{host} is paused for another {left:.0f}s")

    def succeeded(self, host: str) -> None:
        self._state(host).failures = 0

    def failed(self, host: str) -> float:
        """A timeout or 5xx: pause the host for an exponentially growing time. Returns it."""
        state = self._state(host)
        state.failures += 1
        pause = backoff_s(state.failures, cap_s=self.rules.max_pause_s)
        state.paused_until = max(state.paused_until, self.clock() + pause)
        return pause

    def asked_to_wait(self, host: str, seconds: float) -> float:
        """429/503 with Retry-After: no request to the host before it has passed."""
        state = self._state(host)
        pause = min(max(seconds, 0.0), self.rules.max_pause_s)
        state.paused_until = max(state.paused_until, self.clock() + pause)
        return pause
