"""How the other commands find the server `newsflow up` started: a state file in the data
folder, readable by its owner only, that holds the server's URL (and so its password).

One `newsflow up` per data folder: it holds an exclusive lock on `up.lock` for its life.
The kernel drops the lock when the process dies, however it dies, so a crashed `up` never
blocks the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

from newsflow_cli.embedded_redis import write_private

STATE_FILE = "redis.json"
LOCK_FILE = "up.lock"


class FolderInUse(RuntimeError):
    pass


def hold_folder(data_dir: Path) -> IO[str]:
    """Lock the data folder for this `newsflow up`; keep the returned file open as long as
    the lock must hold. FolderInUse if another `newsflow up` holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = (data_dir / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise FolderInUse(
            f"another `newsflow up` (pid {holder}) is running on {data_dir}/; stop it first, "
            "or use another folder (NEWSFLOW_DATA_DIR)"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def write_state(data_dir: Path, url: str, server_pid: int) -> None:
    state = {"url": url, "server_pid": server_pid, "up_pid": os.getpid()}
    write_private(data_dir / STATE_FILE, json.dumps(state))


def remove_state(data_dir: Path) -> None:
    (data_dir / STATE_FILE).unlink(missing_ok=True)


def state_url(data_dir: Path) -> str | None:
    """The URL `newsflow up` wrote, or None when there is no (readable) state file."""
    try:
        state = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = state.get("url") if isinstance(state, dict) else None
    return url if isinstance(url, str) else None


def state_is_stale(data_dir: Path) -> bool:
    """True when the state file names a server that no longer runs: `newsflow up` and its
    server were killed (a reboot, kill -9), so nothing deleted the file."""
    try:
        state = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        pid = int(state["server_pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if pid <= 0:
        return False  # no pid known (0 would ask about our own process group)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's: not ours to judge
    return False
