"""`docker compose` on the repository's docker-compose.yml, under a project name of its own.

What the compose tests drive: a Docker engine (the skip or failure says how to get one),
the compose commands with their timings, redis-cli and psql-like reads on the host ports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
PROJECT_IMAGE = "newsflow:local"
BASE_IMAGE = "python:3.11-slim"
HOW_TO_GET_AN_ENGINE = (
    "no Docker engine answers (`docker info` failed): install Docker with the Compose v2 "
    "plugin, or on the team's machines run `sudo ../shared/tools/docker/engine.sh` from the "
    "repo root (stop it with ../shared/tools/docker/stop.sh)"
)


def engine_problem() -> str | None:
    """None when `docker info` and `docker compose version` both answer."""
    if shutil.which("docker") is None:
        return HOW_TO_GET_AN_ENGINE
    for argv in (["docker", "info"], ["docker", "compose", "version"]):
        try:
            result = subprocess.run(argv, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return HOW_TO_GET_AN_ENGINE
        if result.returncode != 0:
            return HOW_TO_GET_AN_ENGINE
    return None


@dataclass
class Stack:
    project: str
    redis_port: int
    postgres_port: int
    api_port: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "REDIS_HOST_PORT": str(self.redis_port),
            "POSTGRES_HOST_PORT": str(self.postgres_port),
            "API_HOST_PORT": str(self.api_port),
        }

    def compose(
        self, *args: str, timeout: float = 600, timed: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "--project-name", self.project, *args]
        started = time.monotonic()
        result = subprocess.run(
            argv,
            cwd=REPO,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if timed:
            self.timings[timed] = time.monotonic() - started
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
                f"\n{self.logs()}"
            )
        return result

    def logs(self) -> str:
        result = subprocess.run(
            ["docker", "compose", "--project-name", self.project, "logs", "--tail", "40"],
            cwd=REPO,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result.stdout[-8000:]

    def containers(self, *services: str) -> list[dict[str, Any]]:
        """`docker compose ps -a` as records (one JSON object per line in Compose 2.21+)."""
        out = self.compose("ps", "-a", "--format", "json", *services).stdout.strip()
        if out.startswith("["):
            records: list[dict[str, Any]] = json.loads(out)
            return records
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def redis_cli(self, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "-a", "newsflow", "--no-auth-warning", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    @property
    def database_url(self) -> str:
        return f"postgresql://newsflow:newsflow@127.0.0.1:{self.postgres_port}/newsflow"

    @property
    def redis_url(self) -> str:
        return f"redis://:newsflow@127.0.0.1:{self.redis_port}/0"


def image_created(reference: str) -> str | None:
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Created}}", reference],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def layer_sizes(reference: str) -> list[tuple[int, str]]:
    """(bytes, creating instruction) per layer of the image, newest first."""
    result = subprocess.run(
        ["docker", "history", "--no-trunc", "--human=false", "--format", "{{json .}}", reference],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return [(int(row["Size"]), str(row["CreatedBy"])) for row in rows]


def added_layers(image: str, base: str) -> list[tuple[int, str]]:
    """The layers `image` has on top of `base` (the base's own are its oldest ones)."""
    layers = layer_sizes(image)
    return layers[: len(layers) - len(layer_sizes(base))]


# Lines the compose tests measured, printed in pytest's terminal summary (conftest.py).
REPORT: list[str] = []
