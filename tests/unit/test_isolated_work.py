"""CPU-bound work in a child process under a time (and memory) budget: results and
refusals come back as they would in process, work that never yields is killed on time
while the event loop keeps running, and the next request gets a fresh child."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import pytest

from shared.errors import Rejected
from shared.isolated_work import IsolatedWorker, WorkFailed, WorkSpec

SAMPLE = f"{__name__}:sample_work"


def sample_work(*, greeting: str) -> Callable[[bytes], bytes]:
    """The child's factory: runs once per child (the place to load a model)."""
    started_in = os.getpid()

    def work(request: bytes) -> bytes:
        if request == b"pid":
            return str(started_in).encode()
        if request == b"spin":
            while True:  # never yields, like lxml on a hostile page
                pass
        if request == b"reject":
            raise Rejected("not_an_article", "nothing to read")
        if request == b"fail":
            raise ValueError("transient trouble")
        if request == b"hog":
            hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB
            return str(len(hoard)).encode()
        if request.startswith(b"sleep:"):
            time.sleep(float(request.split(b":")[1]))
            return b"slept " + request
        if request == b"print":
            print("noise on stdout must not break the protocol")
        return greeting.encode() + b" " + request

    return work


def _worker(timeout_s: float = 30.0, memory_mb: int = 0, spare: bool = False) -> IsolatedWorker:
    spec = WorkSpec(factory=SAMPLE, options={"greeting": "hello"})
    return IsolatedWorker(
        spec, name="sample", timeout_s=timeout_s, memory_mb=memory_mb, spare=spare
    )


async def test_the_result_comes_back_as_bytes_from_one_long_lived_child() -> None:
    worker = _worker()
    try:
        assert await worker.run(b"world" * 100_000) == b"hello " + b"world" * 100_000
        assert await worker.run(b"print") == b"hello print"
        first, second = await worker.run(b"pid"), await worker.run(b"pid")
        assert first == second and int(first) != os.getpid()
    finally:
        await worker.stop()


async def test_refusals_keep_their_reason_and_other_errors_are_transient() -> None:
    worker = _worker()
    try:
        with pytest.raises(Rejected) as rejected:
            await worker.run(b"reject")
        assert (rejected.value.reason, rejected.value.message) == (
            "not_an_article",
            "nothing to read",
        )
        with pytest.raises(WorkFailed, match="ValueError: transient trouble"):
            await worker.run(b"fail")
        assert await worker.run(b"again") == b"hello again"
    finally:
        await worker.stop()


async def test_work_that_never_yields_is_killed_on_time_and_the_loop_keeps_serving() -> None:
    worker = _worker(timeout_s=1.0)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    try:
        before = await worker.run(b"pid")
        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        with pytest.raises(Rejected) as rejected:
            await worker.run(b"spin")
        elapsed = time.monotonic() - started
        ticker.cancel()
        assert rejected.value.reason == "timeout"
        assert 1.0 <= elapsed < 3.0
        assert ticks >= 10  # the event loop ran all along
        after = await worker.run(b"pid")
        assert after != before  # a fresh child took over
    finally:
        await worker.stop()


async def test_a_spare_child_takes_over_at_once_after_a_kill() -> None:
    worker = _worker(timeout_s=1.0, spare=True)
    try:
        before = await worker.run(b"pid")
        await asyncio.sleep(3)  # the spare starts meanwhile, as it would between entries
        with pytest.raises(Rejected):
            await worker.run(b"spin")
        started = time.monotonic()
        after = await worker.run(b"pid")
        assert time.monotonic() - started < 0.5  # no interpreter start on the way
        assert after != before
    finally:
        await worker.stop()


async def test_work_over_the_memory_cap_is_refused_as_memory() -> None:
    worker = _worker(memory_mb=1024)
    try:
        with pytest.raises(Rejected) as rejected:
            await worker.run(b"hog")
        assert rejected.value.reason == "memory"
        assert await worker.run(b"after") == b"hello after"
    finally:
        await worker.stop()


async def test_stop_ends_the_child() -> None:
    worker = _worker()
    pid = int(await worker.run(b"pid"))
    await worker.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_a_request_cancelled_midway_leaves_no_answer_for_the_next() -> None:
    """A stop cancels the entry in hand (FastStream's grace past): the cancelled request's
    answer must not come back as the next request's."""
    worker = _worker()
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(worker.run(b"sleep:1.0"), timeout=0.3)
        assert await worker.run(b"second") == b"hello second"
        assert await worker.run(b"third") == b"hello third"
    finally:
        await worker.stop()
