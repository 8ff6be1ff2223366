"""The stages' healthcheck of docker-compose.yml: it asks the readiness endpoint, and, run for
real against a stage process started the way compose starts it (marked e2e), it passes with
Redis and fails without. No Docker engine needed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import redis

from tests.compose_file import REPO, STAGE_SERVICES, command_of, environment_of, interpolate
from tests.servers import PrivateRedis, free_port, stop_process


def stage_healthcheck() -> list[str]:
    """The one healthcheck command the stages share, as argv."""
    tests = {tuple(service["healthcheck"]["test"]) for service in STAGE_SERVICES.values()}
    assert len(tests) == 1, tests
    (test,) = tests
    assert test[0] == "CMD", test
    argv = [interpolate(part) for part in test[1:]]
    assert argv[:2] == ["python", "-c"], argv
    return argv


def test_stage_healthcheck_asks_the_stages_readiness_endpoint() -> None:
    code = stage_healthcheck()[2]
    ports = {
        environment_of(service).get("NEWSFLOW_HTTP_PORT") for service in STAGE_SERVICES.values()
    }
    assert len(ports) == 1 and None not in ports, ports
    (port,) = ports
    assert f"http://127.0.0.1:{port}/health/ready" in code


def run_healthcheck(port: int) -> subprocess.CompletedProcess[bytes]:
    """The healthcheck command as compose runs it, against a stage's endpoint on `port`."""
    port_in_compose = environment_of(next(iter(STAGE_SERVICES.values())))["NEWSFLOW_HTTP_PORT"]
    argv = stage_healthcheck()
    code = argv[2].replace(f"127.0.0.1:{port_in_compose}/", f"127.0.0.1:{port}/")
    assert code != argv[2]
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
    )


@contextmanager
def running_parser(redis_url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The parser stage as compose runs it (`faststream run ...`), on this test's Redis and
    streams, its health endpoint on `port`."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "NEWSFLOW_STREAM_PREFIX": prefix,
        "NEWSFLOW_HTTP_HOST": "127.0.0.1",
        "NEWSFLOW_HTTP_PORT": str(port),
        "NEWSFLOW_CLAIM_INTERVAL_S": "0.5",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *command_of(STAGE_SERVICES["parser"])],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        yield proc
    finally:
        stop_process(proc, within_s=30)
        client = redis.Redis.from_url(redis_url)
        with suppress(redis.ConnectionError):
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        client.close()


def healthcheck_passes_within(port: int, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the stage exited with {proc.returncode}"
        if run_healthcheck(port).returncode == 0:
            return True
        time.sleep(0.3)
    return False


@pytest.mark.e2e
def test_stage_healthcheck_passes_with_redis_and_fails_without(
    redis_url: str, tmp_path: Path
) -> None:
    # Nothing listens yet: the check fails rather than hanging.
    port = free_port()
    assert run_healthcheck(port).returncode != 0

    with running_parser(redis_url, port, tmp_path / "parser.log") as proc:
        assert healthcheck_passes_within(port, proc, 60), (tmp_path / "parser.log").read_text()

    # A stage whose Redis goes away is running but not ready: the check fails.
    private = PrivateRedis(tmp_path)
    private.start()
    port = free_port()
    try:
        with running_parser(private.url, port, tmp_path / "parser-private.log") as proc:
            assert healthcheck_passes_within(port, proc, 60)
            private.stop()
            result = run_healthcheck(port)
            assert proc.poll() is None, "the stage exited instead of reporting not ready"
            assert result.returncode != 0, "healthcheck passed without Redis"
            assert b"503" in result.stderr, result.stderr
    finally:
        private.stop()
