"""`newsflow up` as a user runs it: the four stages and the api as local processes, fed by a
plain redis-cli XADD, read back with XREAD, found by `newsflow search` and by the api,
stopped with Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from newsflow_cli.replicas import replicas_to_run
from shared.pipeline import HTTP_SERVICES
from shared.settings import Settings
from shared.streams import STAGES, StreamNames
from tests.conftest import SEED
from tests.e2e.harness import groups_ready, stage_env, wait_until
from tests.servers import free_port

pytestmark = pytest.mark.e2e

HEADLINE = (
    "DPRK troops' participation in Russia's war against Ukraine: "
    "Seoul condemns cooperation between Moscow and Pyongyang"
)


def children_of(pid: int) -> set[int]:
    """Live (not zombie) child processes, read from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def xadd_like_redis_cli(client: redis.Redis, settings: Settings, stream: str) -> None:
    seed = SEED.read_text()
    cli = shutil.which("redis-cli")
    if cli is None:
        client.xadd(stream, {"content": seed, "source": "UNN"})
        return
    url = settings.redis_url.get_secret_value()
    subprocess.run(
        [cli, "-u", url, "XADD", stream, "*", "content", seed, "source", "UNN"],
        check=True, capture_output=True, timeout=10,
    )  # fmt: skip


def test_up_runs_the_pipeline_and_stops_on_ctrl_c(
    settings: Settings, client: redis.Redis, tmp_path: Path
) -> None:
    names = StreamNames(settings.stream_prefix)
    api_port = free_port()
    env = {**os.environ, **stage_env(settings), "NEWSFLOW_API_PORT": str(api_port)}
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite
    up = subprocess.Popen(
        [sys.executable, "-m", "newsflow_cli", "up"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_until(lambda: groups_ready(client, names, STAGES), 120, "every stage's group")
        stages = children_of(up.pid)
        # Every replica of the stages (by default from this machine's cores) and the api.
        assert len(stages) == sum(replicas_to_run(list(STAGES), {}).values()) + len(HTTP_SERVICES)
        xadd_like_redis_cli(client, settings, names.raw)
        wait_until(lambda: client.xlen(names.enriched) == 1, 60, "the enriched event")
        [(_entry_id, fields)] = client.xrange(names.enriched)
        event = orjson.loads(fields[b"data"])
        assert event["article"]["title"] == HEADLINE

        def found() -> bool:
            search = subprocess.run(
                [sys.executable, "-m", "newsflow_cli", "search", "Pyongyang", "--json"],
                env=env, capture_output=True, timeout=60, check=False,
            )  # fmt: skip
            return any(
                orjson.loads(line)["title"] == HEADLINE for line in search.stdout.splitlines()
            )

        wait_until(found, 60, "`newsflow search Pyongyang` to find it")
        answer = httpx.get(
            f"http://127.0.0.1:{api_port}/api/articles",
            params={"q": "Pyongyang", "country": "KP"},
            timeout=10,
        )
        assert [item["title"] for item in answer.json()["items"]] == [HEADLINE]
    finally:
        up.send_signal(signal.SIGINT)
        started = time.monotonic()
        up.wait(timeout=60)
    assert time.monotonic() - started < settings.shutdown_grace_s + 5
    assert up.returncode == 0
    assert not children_of(up.pid) and not any(Path(f"/proc/{pid}").exists() for pid in stages)
    assert up.stderr is not None and b"stopped" in up.stderr.read()


def listening_on(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on `port` at, from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_up_serves_its_stages_metrics_on_loopback_only(settings: Settings, tmp_path: Path) -> None:
    """Like its api and its embedded server; the stages' /metrics (alert names, the hosts
    fetched) and /health were on 0.0.0.0, every interface of the machine."""
    port = free_port()
    env = {**os.environ, **stage_env(settings), "NEWSFLOW_HTTP_PORT": str(port)}
    env.pop("NEWSFLOW_HTTP_HOST", None)
    up = subprocess.Popen(
        [sys.executable, "-m", "newsflow_cli", "up", "--stage", "fetcher", "--no-api",
         "--scale", "fetcher=1"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: bool(listening_on(port)), 60, "the fetcher's /metrics")
        assert listening_on(port) == {"127.0.0.1"}
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
