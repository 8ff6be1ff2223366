"""`newsflow serve` as a user runs it, and the api as `newsflow up` starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from newsflow_cli.supervisor import stage_command
from shared.settings import Settings
from tests.e2e.harness import stage_env
from tests.servers import free_port, stop_process

pytestmark = pytest.mark.integration


def test_up_runs_the_api_as_newsflow_serve() -> None:
    assert stage_command("api") == [sys.executable, "-m", "newsflow_cli", "serve"]


def serve(settings: Settings, port: int, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **stage_env(settings), "NEWSFLOW_API_PORT": str(port)}
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow_cli", "serve"],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_serve_answers_until_sigterm(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    proc = serve(settings, port, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
                assert time.monotonic() < deadline, "newsflow serve did not answer"
                time.sleep(0.2)
        assert ready.status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/api/articles", timeout=5).json()
        assert page == {"total": 0, "items": [], "next": None, "total_is_lower_bound": False}
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then re-raises the signal it caught, as its own exit status.
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    finally:
        stop_process(proc, 5)


def test_serve_on_a_taken_port_fails_in_one_line(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve(settings, port, tmp_path)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    message = err.decode().strip()
    assert f"127.0.0.1:{port}" in message and "NEWSFLOW_API_PORT" in message
    assert "Traceback" not in message
