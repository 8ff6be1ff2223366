from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.fetcher.politeness import (
    HostPaused,
    HostPoliteness,
    PolitenessRules,
    backoff_s,
    retry_after_seconds,
)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sat, 28 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n, cap_s=10) for n in range(6)] == [0.0, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert backoff_s(1000, cap_s=300) == 300.0


async def test_requests_to_one_host_are_spaced_and_others_are_not() -> None:
    gates = HostPoliteness(PolitenessRules(interval_s=0.2, concurrency=4))
    loop = asyncio.get_running_loop()
    starts: list[tuple[str, float]] = []

    async def request(host: str) -> None:
        async with gates.turn(host):
            starts.append((host, loop.time()))

    await asyncio.gather(*(request("a") for _ in range(3)), request("b"))
    a = [at for host, at in starts if host == "a"]
    assert a[1] - a[0] >= 0.19 and a[2] - a[1] >= 0.19
    # b, asked for last, goes before a's second: it does not queue behind a's spacing.
    # (An order, not a time: a loaded machine delays everything but cannot reorder these.)
    assert [host for host, _ in starts] == ["a", "b", "a", "a"]


async def test_a_crawl_delay_lengthens_the_interval() -> None:
    gates = HostPoliteness(PolitenessRules(interval_s=0.0, concurrency=4))
    loop = asyncio.get_running_loop()
    starts = []

    async def request() -> None:
        async with gates.turn("a", min_interval_s=0.2):
            starts.append(loop.time())

    await asyncio.gather(request(), request())
    assert abs(starts[1] - starts[0]) >= 0.19


async def test_a_huge_crawl_delay_is_held_to_the_longest_pause() -> None:
    gates = HostPoliteness(PolitenessRules(interval_s=0.0, max_pause_s=0.2, max_wait_s=5))
    async with gates.turn("a", min_interval_s=86_400):
        pass
    # Taken as given, the second turn would be a day away; held to max_pause_s it is 0.2 s.
    # The timeout only stops a failing run from hanging: it is not what is measured.
    async with asyncio.timeout(60), gates.turn("a", min_interval_s=86_400):
        pass


async def test_a_turn_further_away_than_the_wait_limit_hands_the_entry_back() -> None:
    now = [0.0]
    gates = HostPoliteness(
        PolitenessRules(interval_s=0.0, max_pause_s=300, max_wait_s=30), clock=lambda: now[0]
    )
    async with gates.turn("a", min_interval_s=86_400):
        pass
    async with asyncio.timeout(60):  # stops a failing run from hanging; not measured
        with pytest.raises(HostPaused):
            async with gates.turn("a", min_interval_s=86_400):
                pass
    # The refused waiter reserved nothing: the next turn is still the first one's + 300 s.
    assert gates._hosts["a"].next_start == 300.0


async def test_a_waiter_that_gives_up_does_not_push_the_next_turn_back() -> None:
    now = [0.0]
    gates = HostPoliteness(PolitenessRules(interval_s=10.0, max_wait_s=30), clock=lambda: now[0])
    async with gates.turn("a"):
        pass

    async def second_turn() -> None:
        async with gates.turn("a"):
            pass

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(second_turn(), 0.05)  # it would sleep 10 s: it gives up
    assert gates._hosts["a"].next_start == 10.0  # not 20: its reserved start was handed back


async def test_a_long_pause_hands_the_entry_back() -> None:
    gates = HostPoliteness(PolitenessRules(max_wait_s=5, max_pause_s=600))
    assert gates.asked_to_wait("a", 60) == 60
    with pytest.raises(HostPaused):
        async with gates.turn("a"):
            pass
    async with gates.turn("b"):  # another host is not paused
        pass


def test_failures_pause_a_host_longer_each_time_and_success_resets() -> None:
    gates = HostPoliteness(PolitenessRules(max_pause_s=300))
    assert [gates.failed("a") for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    gates.succeeded("a")
    assert gates.failed("a") == 1.0
    assert gates.paused_for("b") == 0.0


async def test_idle_hosts_are_forgotten_and_busy_ones_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("services.fetcher.politeness._PRUNE_AT", 3)
    gates = HostPoliteness(PolitenessRules(interval_s=0.0))
    async with gates.turn("idle-1"):
        pass
    gates.failed("failing")
    async with gates.turn("busy"):
        async with gates.turn("new"):  # the 4th host: the idle one goes, the others stay
            pass
        assert set(gates._hosts) == {"failing", "busy", "new"}
