"""Helpers for end-to-end tests: the stages as separate processes against real servers."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from newsflow_cli.supervisor import StageProcesses
from shared.settings import Settings
from shared.store.backends import opened_store
from shared.streams import STAGES, StreamNames
from tests.servers import free_port


def stage_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment that makes a stage process use the test's servers and names."""
    env = {
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
        "NEWSFLOW_TABLE_NAME": settings.table_name,
        "NEWSFLOW_SQLITE_PATH": str(settings.sqlite_path),
        "NEWSFLOW_CLAIM_INTERVAL_S": str(settings.claim_interval_s),
        "NEWSFLOW_RETRY_BACKOFF_MS": str(settings.retry_backoff_ms),
        "NEWSFLOW_CLAIM_IDLE_MS": str(settings.claim_idle_ms),
        "NEWSFLOW_BLOCK_MS": str(settings.block_ms),
        "NEWSFLOW_LOG_LEVEL": "INFO",
        "NEWSFLOW_HTTP_PORT": str(settings.http_port if settings.http_port is not None else 0),
    }
    if settings.database_url is not None:
        env["DATABASE_URL"] = settings.database_url.get_secret_value()
    else:
        env["DATABASE_URL"] = ""
    env.update(extra)
    return env


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        if condition():
            return
        # A costly check (reading every stored article) polled back to back takes a core
        # from the stages it waits for: between checks, wait twice as long as one took.
        time.sleep(max(0.1, 2 * (time.monotonic() - started)))
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def groups_ready(client: redis.Redis, names: StreamNames, stages: tuple[str, ...]) -> bool:
    for stage in stages:
        try:
            groups = client.xinfo_groups(names.input_of(stage))  # type: ignore[arg-type]
        except redis.ResponseError:
            return False
        if not any(g["name"] in (stage, stage.encode()) for g in groups):
            return False
    return True


@contextmanager
def running_stages(
    settings: Settings,
    log_dir: Path,
    stages: tuple[str, ...] = STAGES,
    **extra_env: str,
) -> Iterator[StageProcesses]:
    """Start the stages, wait until each has created its group, stop them at the end.
    On failure the stage logs are printed, since they are where the cause is."""
    names = StreamNames(settings.stream_prefix)
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    procs = StageProcesses(stages, env=stage_env(settings, **extra_env), log_dir=log_dir)
    procs.start()
    try:
        wait_until(
            lambda: groups_ready(client, names, stages) or bool(procs.exited()),
            timeout=60,
            what="every stage to create its consumer group",
        )
        assert not procs.exited(), f"a stage exited at start: {procs.exited()}"
        yield procs
    except BaseException:
        print_stage_logs(log_dir)
        raise
    finally:
        procs.stop()
        client.close()


# --- stages with their /metrics and /health endpoints, each on a port of its own --------


def http_get(url: str) -> tuple[int | None, bytes]:
    """Status and body, like `curl`; (None, b"") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return None, b""


@dataclass
class ServedStages:
    procs: dict[str, StageProcesses]
    ports: dict[str, int]

    def url(self, stage: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[stage]}{path}"

    def readiness(self) -> dict[str, int | None]:
        return {stage: http_get(self.url(stage, "/health/ready"))[0] for stage in self.ports}

    def liveness(self) -> dict[str, int | None]:
        return {stage: http_get(self.url(stage, "/health/live"))[0] for stage in self.ports}

    def exited(self) -> dict[str, int]:
        return {
            stage: code for procs in self.procs.values() for stage, code in procs.exited().items()
        }


@contextmanager
def serving_stages(settings: Settings, log_dir: Path, **extra_env: str) -> Iterator[ServedStages]:
    """The four stages, each with its /metrics and /health on a port of its own; yields once
    every one answers ready. On failure the stage logs are printed."""
    ports = {stage: free_port() for stage in STAGES}
    env = stage_env(settings, NEWSFLOW_HTTP_HOST="127.0.0.1", **extra_env)
    procs = {
        stage: StageProcesses(
            [stage], env={**env, "NEWSFLOW_HTTP_PORT": str(port)}, log_dir=log_dir
        )
        for stage, port in ports.items()
    }
    served = ServedStages(procs, ports)
    for stage_procs in procs.values():
        stage_procs.start()
    try:
        wait_until(
            lambda: set(served.readiness().values()) == {200} or bool(served.exited()),
            60,
            "every stage to answer ready",
        )
        assert not served.exited(), f"a stage exited at start: {served.exited()}"
        yield served
    except BaseException:
        print_stage_logs(log_dir)
        raise
    finally:
        for stage_procs in procs.values():
            stage_procs.stop()


def stored_count(settings: Settings) -> int:
    async def count() -> int:
        async with opened_store(settings) as store:
            return await store.count()

    return asyncio.run(count())


def group_done(client: redis.Redis, stream: str, group: str) -> bool:
    """The group has taken and acknowledged everything on the stream."""
    info = next(g for g in client.xinfo_groups(stream) if g["name"] in (group, group.encode()))
    return bool(info["pending"] == 0 and info["lag"] == 0)


def print_stage_logs(log_dir: Path) -> None:
    """The stage logs, shown when a test fails: the cause is usually in them."""
    for log in sorted(log_dir.glob("*.log")):
        print(f"===== {log.name}\n{log.read_text(errors='replace')[-4000:]}")
