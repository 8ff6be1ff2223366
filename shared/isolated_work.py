"""CPU-bound work under a time and memory budget: one long-lived child process per worker.

An asyncio timeout cannot stop work that never yields: lxml on a hostile page holds the
GIL in C for minutes, and the stage's leases and health answers stop with it. So the work
runs in a child process (started once, with its models loaded there) that is sent each
request as bytes and answers with bytes; past the budget the child is killed, the entry
is refused with reason `timeout`, and the next request gets a fresh child. The parent only
awaits a pipe, so its event loop keeps serving meanwhile.

The child is a fresh interpreter (`python -m shared.isolated_work`), not a fork of the
stage: nothing of the parent's event loop, threads or connections is copied into it. It
builds its work with `factory(**options)` (an import path and JSON options), which is
where a model is loaded once.

Wire format, both ways: one kind byte and an 8-byte big-endian length, then the payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import struct
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from shared.errors import Rejected

Work = Callable[[bytes], bytes]

_HEADER = struct.Struct(">cQ")
_READY, _REQUEST, _RESULT, _REJECTED, _FAILED, _MEMORY = b"+", b"W", b"R", b"X", b"E", b"M"
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)


class WorkFailed(Exception):
    """The work raised something other than `Rejected`, or its child died: transient."""


@dataclass(frozen=True)
class WorkSpec:
    """What the child runs: `factory` ("module:function") called once with `options`
    (JSON-serialisable keyword arguments) returns the `bytes -> bytes` work."""

    factory: str
    options: Mapping[str, Any] = field(default_factory=dict)


class IsolatedWorker:
    """Runs `spec`'s work in a child process, one request at a time, each within
    `timeout_s`. A child that is killed is replaced at once, in the background; with
    `spare`, a second child is always kept started, so the entry after a killed one waits
    for no interpreter start (it costs the spare's memory)."""

    def __init__(
        self,
        spec: WorkSpec,
        *,
        name: str,
        timeout_s: float,
        memory_mb: int = 0,
        spare: bool = False,
        start_timeout_s: float = 300.0,
    ) -> None:
        self.spec = spec
        self.name = name
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.spare = spare
        self.start_timeout_s = start_timeout_s
        self._child: asyncio.subprocess.Process | None = None
        self._next: asyncio.Task[asyncio.subprocess.Process] | None = None
        # One request at a time: the stage's subscriber and its reclaimer may both call.
        self._lock = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._child is not None and self._child.returncode is None

    async def start(self) -> None:
        """Have a child ready, its factory run (models loaded). Not part of any entry's
        budget."""
        if self.started:
            return
        if self._next is None:
            self._next = asyncio.create_task(self._spawn(), name=f"{self.name}-spawn")
        next_child, self._next = self._next, None
        self._child = await next_child
        if self.spare:
            self._next = asyncio.create_task(self._spawn(), name=f"{self.name}-spare")

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PROJECT_ROOT, env.get("PYTHONPATH")]))
        command = [
            sys.executable, "-m", "shared.isolated_work",
            self.spec.factory, json.dumps(dict(self.spec.options)), str(self.memory_mb),
            str(os.getpid()),
        ]  # fmt: skip
        child = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            kind, payload = await asyncio.wait_for(_read(child), timeout=self.start_timeout_s)
        except BaseException as exc:  # cancelled (stop) included: no child is left behind
            await _terminate(child)
            if isinstance(exc, TimeoutError | asyncio.IncompleteReadError):
                raise WorkFailed(f"the {self.name} worker did not start") from exc
            raise
        if kind != _READY:
            await _terminate(child)
            raise WorkFailed(f"the {self.name} worker failed to start: {payload[:2000]!r}")
        return child

    async def run(self, request: bytes) -> bytes:
        """The work's answer to `request`; `Rejected` as the work raised it, or with reason
        `timeout` / `memory` when the budget ran out; `WorkFailed` for anything else."""
        async with self._lock:
            await self.start()
            child = self._child
            assert child is not None and child.stdin is not None
            try:
                async with asyncio.timeout(self.timeout_s):
                    child.stdin.write(_HEADER.pack(_REQUEST, len(request)) + request)
                    await child.stdin.drain()
                    kind, payload = await _read(child)
            except TimeoutError:
                await self._kill()
                raise Rejected(
                    "timeout", f"the {self.name} work took more than {self.timeout_s:g} s"
                ) from None
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                code = await self._kill()
                raise WorkFailed(f"the {self.name} worker died (exit code {code})") from exc
            except BaseException:
                # Cancelled mid-exchange (a stop past its grace): the child's answer, or the
                # rest of the request, is still on its way and would be taken for the next
                # request's. Only a new child is in step again.
                await self._kill()
                raise
            if kind == _MEMORY:
                # An allocation failed somewhere inside the work: the child's state is
                # suspect, so the next request gets a fresh one.
                await self._kill()
                raise Rejected(
                    "memory", f"the {self.name} work needed more than {self.memory_mb} MB"
                )
        if kind == _RESULT:
            return payload
        if kind == _REJECTED:
            refusal = json.loads(payload)
            raise Rejected(refusal["reason"], refusal["message"])
        raise WorkFailed(payload.decode("utf-8", "replace"))

    async def stop(self) -> None:
        """End the children: the busy one exits when its input closes (killed if it does
        not), a spare or one still starting is killed."""
        if self._next is not None:
            self._next.cancel()
            with contextlib.suppress(BaseException):
                await _terminate(await self._next)
            self._next = None
        child, self._child = self._child, None
        if child is None:
            return
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), timeout=2.0)
        except TimeoutError:
            await _terminate(child)

    async def _kill(self) -> int | None:
        """End the current child and start its replacement now, while the entry that
        ended it is being dead-lettered."""
        child, self._child = self._child, None
        if self._next is None:
            self._next = asyncio.create_task(self._spawn(), name=f"{self.name}-respawn")
        return await _terminate(child) if child is not None else None


async def _terminate(child: asyncio.subprocess.Process) -> int:
    with contextlib.suppress(ProcessLookupError):
        child.kill()
    return await child.wait()


async def _read(child: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    assert child.stdout is not None
    kind, size = _HEADER.unpack(await child.stdout.readexactly(_HEADER.size))
    return kind, await child.stdout.readexactly(size)


# --- the child -------------------------------------------------------------------------


def _answer(work: Work, request: bytes) -> tuple[bytes, bytes]:
    try:
        return _RESULT, work(request)
    except Rejected as exc:
        return _REJECTED, json.dumps({"reason": exc.reason, "message": exc.message}).encode()
    except MemoryError:
        return _MEMORY, b""
    except Exception as exc:
        return _FAILED, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")


def _die_with_parent(parent_pid: int) -> None:
    """A child left busy on a hostile page by a killed stage would burn a core for
    minutes: on Linux the kernel kills it with its parent."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:
        os._exit(0)  # the parent died before the request to the kernel took effect


def _serve(factory: str, options: dict[str, Any], memory_mb: int, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    # The parent decides when this process ends (it closes the pipe or kills it): a
    # Ctrl-C or SIGTERM sent to the whole process group must not cut a request short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The protocol owns the real stdout; anything the work prints goes to stderr.
    replies: BinaryIO = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    module, _, name = factory.partition(":")
    work: Work = getattr(importlib.import_module(module), name)(**options)
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _send(replies, _READY, b"")
    while True:
        header = requests.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return  # the parent closed the pipe (or died)
        _, size = _HEADER.unpack(header)
        _send(replies, *_answer(work, requests.read(size)))


def _send(replies: BinaryIO, kind: bytes, payload: bytes) -> None:
    replies.write(_HEADER.pack(kind, len(payload)))
    replies.write(payload)
    replies.flush()


if __name__ == "__main__":
    _serve(sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
