"""Run the stages (and the api) as local processes, each stage as one or more replicas:
what `newsflow up` and the end-to-end tests use.

Each stage is the same `faststream run services.<stage>.app:app` that docker compose runs,
and the api the same `newsflow serve`, so a local run and a container run exercise one code
path.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from newsflow_cli.replicas import consumer_name, process_name, replica_metrics_port
from shared.pipeline import HTTP_SERVICES, PIPELINE, STAGE_NAMES, stage_named

APP_MODULES: Mapping[str, str] = {stage.name: stage.app for stage in PIPELINE}
HTTP_SERVICE_NAMES: tuple[str, ...] = tuple(service.name for service in HTTP_SERVICES)


_PR_SET_PDEATHSIG = 1


def ended_with_parent() -> None:
    """Run in a child before its program starts: Linux sends the child SIGTERM when the
    process that started it dies. A supervisor killed with -9 (or out of memory) never
    stops its stages itself; they would run on, orphaned, holding the api's port and
    metrics ports against the next `newsflow up`. With this they shut down as on Ctrl-C."""
    # The terminal's SIGHUP (closed, or its ssh session lost) reaches the whole foreground
    # group and would kill each process mid-entry: the supervisor stops them instead, with
    # SIGTERM and its grace. An ignored signal stays ignored across exec.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def stage_command(stage: str) -> list[str]:
    """A stage's FastStream app, or an HTTP service (the api) as `newsflow serve` runs it."""
    if stage in HTTP_SERVICE_NAMES:
        return [sys.executable, "-m", "newsflow_cli", "serve"]
    return [sys.executable, "-m", "faststream", "run", APP_MODULES[stage]]


class RestartBackoff:
    """When a process that exited is started again: at once after its first crash, then
    after 5 s, doubling up to a minute while it keeps crashing soon after each start (a
    setting it alone reads, a server it needs that went away), so a broken stage neither
    spins nor fills the terminal with a traceback every few seconds. A process that ran
    for a minute before it exited was not crash-looping: its next restart is at once."""

    FIRST_S = 5.0
    MAX_S = 60.0
    STEADY_S = 60.0

    def __init__(self) -> None:
        self.crashes: dict[str, int] = {}  # process name -> crashes soon after a start

    def delay(self, name: str, ran_s: float) -> float:
        """Seconds to wait before starting `name` again, after it ran for `ran_s`."""
        crashes = 1 if ran_s >= self.STEADY_S else self.crashes.get(name, 0) + 1
        self.crashes[name] = crashes
        if crashes == 1:
            return 0.0
        return min(self.FIRST_S * 2.0 ** (crashes - 2), self.MAX_S)


class StageProcesses:
    """Start stages, watch them, stop them with SIGTERM (then SIGKILL after a grace).

    A stage with `replicas[stage] = N` runs as N processes named `stage`, `stage.2` ...
    (`newsflow_cli/replicas.py`), each with its own metrics port when NEWSFLOW_HTTP_PORT is
    not given, and, with `consumer_prefix`, its own stable consumer name; without one each
    process takes its default (hostname and pid). Methods take these process names; a
    stage's first replica is named after the stage."""

    def __init__(
        self,
        stages: Sequence[str] = STAGE_NAMES,
        *,
        replicas: Mapping[str, int] | None = None,
        consumer_prefix: str | None = None,
        metrics_ports: Mapping[str, int] | None = None,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        grace_s: float = 20.0,
    ) -> None:
        self.stages = list(stages)
        self.env = {**os.environ, **(env or {})}
        self.consumer_prefix = consumer_prefix
        # process name -> its /metrics port, over NEWSFLOW_HTTP_PORT and the defaults
        self.metrics_ports = dict(metrics_ports or {})
        self.log_dir = log_dir
        self.grace_s = grace_s
        # process name -> (stage, replica number from 1)
        self.replicas: dict[str, tuple[str, int]] = {
            process_name(stage, k): (stage, k)
            for stage in self.stages
            for k in range(1, (replicas or {}).get(stage, 1) + 1)
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started_at: dict[str, float] = {}  # process name -> time.monotonic() of its start
        self._logs: dict[str, IO[bytes]] = {}

    def start(self) -> None:
        for name in self.replicas:
            self.start_stage(name)

    def env_of(self, name: str) -> dict[str, str]:
        """The environment of one process: a replica's consumer name and metrics port."""
        stage, replica = self.replicas.get(name, (name, 1))
        if stage in HTTP_SERVICE_NAMES:
            return self.env
        env = dict(self.env)
        if self.consumer_prefix is not None:
            env["NEWSFLOW_CONSUMER_NAME"] = consumer_name(self.consumer_prefix, stage, replica)
        if name in self.metrics_ports:
            env["NEWSFLOW_HTTP_PORT"] = str(self.metrics_ports[name])
        elif replica > 1 and not env.get("NEWSFLOW_HTTP_PORT"):
            env["NEWSFLOW_HTTP_PORT"] = str(replica_metrics_port(stage_named(stage), replica))
        return env

    def start_stage(self, name: str) -> subprocess.Popen[bytes]:
        """(Re)start one process: a stage's first replica by the stage's name, another by
        its own (`enricher.2`)."""
        stage, _ = self.replicas.get(name, (name, 1))
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = self._logs.get(name) or (self.log_dir / f"{name}.log").open("ab")
            self._logs[name] = out
        proc = subprocess.Popen(
            stage_command(stage),
            env=self.env_of(name),
            stdout=out if out is not None else None,
            stderr=subprocess.STDOUT if out is not None else None,
            preexec_fn=ended_with_parent,
        )
        self.procs[name] = proc
        self.started_at[name] = time.monotonic()
        return proc

    def kill_stage(self, name: str) -> None:
        proc = self.procs[name]
        proc.kill()
        proc.wait()

    def exited(self) -> dict[str, int]:
        return {
            stage: code for stage, proc in self.procs.items() if (code := proc.poll()) is not None
        }

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs.values():
            log.close()
        self._logs.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
