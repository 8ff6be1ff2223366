"""Run the four stages (and the api) as local processes: what `newsflow up` and the
end-to-end tests use.

Each stage is the same `faststream run services.<stage>.app:app` that docker compose runs,
and the api the same `newsflow serve`, so a local run and a container run exercise one code
path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from shared.pipeline import HTTP_SERVICES, PIPELINE, STAGE_NAMES

APP_MODULES: Mapping[str, str] = {stage.name: stage.app for stage in PIPELINE}
HTTP_SERVICE_NAMES: tuple[str, ...] = tuple(service.name for service in HTTP_SERVICES)


def stage_command(stage: str) -> list[str]:
    """A stage's FastStream app, or an HTTP service (the api) as `newsflow serve` runs it."""
    if stage in HTTP_SERVICE_NAMES:
        return [sys.executable, "-m", "newsflow_cli", "serve"]
    return [sys.executable, "-m", "faststream", "run", APP_MODULES[stage]]


class StageProcesses:
    """Start stages, watch them, stop them with SIGTERM (then SIGKILL after a grace)."""

    def __init__(
        self,
        stages: Sequence[str] = STAGE_NAMES,
        *,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        grace_s: float = 20.0,
    ) -> None:
        self.stages = list(stages)
        self.env = {**os.environ, **(env or {})}
        self.log_dir = log_dir
        self.grace_s = grace_s
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}

    def start(self) -> None:
        for stage in self.stages:
            self.start_stage(stage)

    def start_stage(self, stage: str) -> subprocess.Popen[bytes]:
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = self._logs.get(stage) or (self.log_dir / f"{stage}.log").open("ab")
            self._logs[stage] = out
        proc = subprocess.Popen(
            stage_command(stage),
            env=self.env,
            stdout=out if out is not None else None,
            stderr=subprocess.STDOUT if out is not None else None,
        )
        self.procs[stage] = proc
        return proc

    def kill_stage(self, stage: str) -> None:
        proc = self.procs[stage]
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
