"""Publishing refuses content over NEWSFLOW_MAX_CONTENT_BYTES before it reaches the raw
stream, and `newsflow publish` decompresses a `.gz` file only up to that cap."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from redis.asyncio import Redis

from shared.client import NewsflowClient
from shared.errors import Rejected
from shared.events import RawSubmission
from shared.settings import Settings
from shared.streams import StreamNames
from tests.bombs import gzip_of_zeros

REPO = Path(__file__).resolve().parents[2]


def cli_command() -> list[str]:
    """`newsflow`, run by this interpreter from the module pyproject names for it."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module = scripts["newsflow"].split(":", 1)[0]
    return [sys.executable, "-m", module]


def run_cli_measured(
    settings: Settings, tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[int, str, int]:
    """Exit code, stderr and peak RSS (bytes) of one `newsflow` run."""
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "NEWSFLOW_STREAM_PREFIX": settings.stream_prefix,
        **(extra_env or {}),
    }
    err_path = tmp_path / "stderr.txt"
    with err_path.open("wb") as err:
        # Started from a small launcher: a child forked from this test process would count
        # the test process's own memory (spaCy loaded by earlier tests) in its peak.
        launched = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, *cli_command(), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            check=True,
        )
    code, peak_kib = (int(v) for v in launched.stdout.split())
    return code, err_path.read_text(), peak_kib * 1024


_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


async def test_the_client_refuses_content_over_the_cap(redis: Redis, settings: Settings) -> None:
    names = StreamNames(settings.stream_prefix)
    client = NewsflowClient(redis, names, max_content_bytes=1024)
    with pytest.raises(Rejected) as caught:
        await client.publish(RawSubmission(content="é" * 600))  # 1200 bytes as UTF-8
    assert caught.value.reason == "too_large"
    with pytest.raises(Rejected):
        await client.publish_many(
            [RawSubmission(content="fine"), RawSubmission(content="x" * 2000)]
        )
    assert await redis.xlen(names.raw) == 0
    await client.publish(RawSubmission(content="x" * 1024))
    assert await redis.xlen(names.raw) == 1


async def test_the_client_from_settings_takes_the_cap_from_them(
    redis: Redis, settings: Settings
) -> None:
    capped = settings.model_copy(update={"max_content_bytes": 2048})
    client = NewsflowClient.from_settings(capped)
    try:
        with pytest.raises(Rejected):
            await client.publish(RawSubmission(content="x" * 3000))
    finally:
        await client.redis.aclose()
    assert await redis.xlen(StreamNames(settings.stream_prefix).raw) == 0


async def test_publishing_a_gzip_bomb_is_refused_with_one_line(
    redis: Redis, settings: Settings, tmp_path: Path
) -> None:
    """510 KB of gzip that is 200 MB inside took `newsflow publish` to 1.08 GB and put a
    200 MB entry on the raw stream; now it stops at the cap and publishes nothing of it."""
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip_of_zeros(200))
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<html><body><p>A small page.</p></body></html>"))
    code, stderr, peak = run_cli_measured(settings, tmp_path, "publish", str(bomb), str(page))
    assert code == 1, stderr
    assert "Traceback" not in stderr
    refusal = [line for line in stderr.splitlines() if str(bomb) in line]
    assert len(refusal) == 1 and "too_large" in refusal[0], stderr
    assert "published 1 of 2" in stderr
    assert await redis.xlen(StreamNames(settings.stream_prefix).raw) == 1
    assert peak < 200 * 2**20, f"newsflow publish peaked at {peak / 2**20:.0f} MiB"


async def test_publishing_a_file_over_the_cap_is_refused(
    redis: Redis, settings: Settings, tmp_path: Path
) -> None:
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"x" * 5000 + b"</p>")
    code, stderr, _peak = run_cli_measured(
        settings, tmp_path, "publish", str(big), extra_env={"NEWSFLOW_MAX_CONTENT_BYTES": "4096"}
    )
    assert code == 1
    assert "too_large" in stderr and "Traceback" not in stderr
    assert await redis.xlen(StreamNames(settings.stream_prefix).raw) == 0
