"""A failing start never prints a password: every line the sink process writes is grepped.

Issue 11: `DATABASE_URL=postgresql+psycopg://user:pw@...` reached psycopg unchanged and its
error quoted the connection string, password and all, at every restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.servers import stop_process

pytestmark = pytest.mark.e2e

PASSWORD = "Pw-9f3c2e-never-logged"
# Each start here fails and exits (in about 2 s); a loaded machine may take much longer.
EXIT_WITHIN_S = 60


def sink_output(env: dict[str, str], tmp_path: Path) -> tuple[int | None, str]:
    """Start the sink process, let it run (or fail) for up to `EXIT_WITHIN_S`, return its exit
    code (None: still running, then stopped) and everything it wrote."""
    log = tmp_path / "sink.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "faststream", "run", "services.sink.app:app"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + EXIT_WITHIN_S
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        code = proc.poll()
        stop_process(proc, within_s=20)
    return code, log.read_text(encoding="utf-8", errors="replace")


def base_env(redis_url: str, stream_prefix: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "NEWSFLOW_STREAM_PREFIX": stream_prefix,
        "NEWSFLOW_HTTP_PORT": "0",
        "NEWSFLOW_LOG_LEVEL": "DEBUG",
    }


@pytest.mark.parametrize(
    ("variable", "url", "shown"),
    [
        ("DATABASE_URL", f"mysql://newsflow:{PASSWORD}@127.0.0.1/news", "mysql://newsflow:***@"),
        (
            "DATABASE_URL",
            f"postgresql://newsflow:{PASSWORD}@127.0.0.1:five/news",
            "postgresql://newsflow:***@127.0.0.1:five/news",
        ),
        (
            # A % in the password not written %25: libpq's error quoted the password alone.
            "DATABASE_URL",
            f"postgresql://newsflow:50%off-{PASSWORD}@127.0.0.1:5432/news",
            "postgresql://newsflow:***@127.0.0.1:5432/news",
        ),
        ("REDIS_URL", f"http://:{PASSWORD}@127.0.0.1:6379/0", "http://:***@127.0.0.1:6379/0"),
    ],
)
def test_a_refused_url_stops_the_start_without_showing_the_password(
    variable: str, url: str, shown: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    code, output = sink_output({**base_env(redis_url, stream_prefix), variable: url}, tmp_path)
    assert code not in (None, 0), output
    assert shown in output, output
    lines = [line for line in output.splitlines() if PASSWORD in line]
    assert not lines, lines


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://newsflow:{PASSWORD}@127.0.0.1:1/news",
        f"postgresql://newsflow:{PASSWORD}@127.0.0.1:1/news",
        f"postgresql://newsflow:{PASSWORD}@no-such-host.invalid/news",
    ],
)
def test_an_unreachable_database_is_reported_without_the_password(
    url: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    _code, output = sink_output(
        {**base_env(redis_url, stream_prefix), "DATABASE_URL": url}, tmp_path
    )
    assert "127.0.0.1" in output or "no-such-host" in output, output
    lines = [line for line in output.splitlines() if PASSWORD in line]
    assert not lines, lines


def test_an_unreachable_redis_is_reported_without_the_password(
    stream_prefix: str, tmp_path: Path
) -> None:
    env = {
        **base_env(f"redis://:{PASSWORD}@127.0.0.1:1/0", stream_prefix),
        "DATABASE_URL": "",
    }
    _code, output = sink_output(env, tmp_path)
    assert output.strip(), "the sink said nothing about the unreachable Redis"
    lines = [line for line in output.splitlines() if PASSWORD in line]
    assert not lines, lines
