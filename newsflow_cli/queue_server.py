"""Which Redis `newsflow up` runs the stages against: the configured one, or a private
server it starts before the stages and stops after them (NEWSFLOW_EMBEDDED_REDIS)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import SecretStr
from redis.exceptions import RedisError

from newsflow_cli.console import err
from newsflow_cli.embedded_redis import EmbeddedServer, NoServerBinary, stop_leftover_server
from newsflow_cli.embedded_state import (
    STATE_FILE,
    FolderInUse,
    hold_folder,
    remove_state,
    write_state,
)
from newsflow_cli.running import EXIT_CANNOT_RUN, fail
from shared.settings import Settings

DEFAULT_REDIS = ("localhost", 6379)


def redis_url_is_set(settings: Settings) -> bool:
    # From the environment or .env; the default is not "set".
    return "redis_url" in settings.model_fields_set


def something_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wants_embedded(settings: Settings) -> bool:
    if settings.embedded_redis == "never":
        return False
    if settings.embedded_redis == "always":
        return True
    return not redis_url_is_set(settings) and not something_answers(*DEFAULT_REDIS)


@contextmanager
def queue_server(settings: Settings) -> Iterator[Settings]:
    """The settings the stages run with; with an embedded server, its URL, and the server
    runs for as long as the `with` block (stop the stages inside it)."""
    if not wants_embedded(settings):
        yield settings
        return
    data_dir = settings.data_dir
    try:
        lock = hold_folder(data_dir)
    except FolderInUse as exc:
        raise fail(str(exc), EXIT_CANNOT_RUN) from None
    except OSError as exc:  # a file by that name, a folder that cannot be made or written
        raise fail(
            f"cannot use {data_dir}/ for the embedded server's data ({exc.strerror}): "
            "set NEWSFLOW_DATA_DIR to a folder you can write",
            EXIT_CANNOT_RUN,
        ) from None
    try:
        leftover = stop_leftover_server(data_dir)
        if leftover is not None:
            err.print(f"stopped server pid {leftover}, left running by an earlier `newsflow up`")
        try:
            server = EmbeddedServer(data_dir)
        except NoServerBinary as exc:
            raise fail(str(exc), EXIT_CANNOT_RUN) from None
        try:
            # Inside the `try`: a Ctrl-C while it loads its AOF still stops it, since in a
            # session of its own nothing else would.
            start_embedded(server)
            assert server.proc is not None
            write_state(data_dir, server.url, server.proc.pid)
            if redis_url_is_set(settings):
                err.print("NEWSFLOW_EMBEDDED_REDIS=always: REDIS_URL is ignored by `newsflow up`")
            err.print(
                f"embedded {server.binary.name} on {server.address} (password in "
                f"{data_dir}/{STATE_FILE}), data in {data_dir}/; in this folder, "
                "`newsflow publish seeds/`, `newsflow status` and the other commands use it",
                soft_wrap=True,
                highlight=False,
            )
            yield settings.model_copy(update={"redis_url": SecretStr(server.url)})
        finally:
            remove_state(data_dir)
            server.stop()
    finally:
        lock.close()


def start_embedded(server: EmbeddedServer) -> None:
    try:
        server.start()
    except (RuntimeError, OSError, RedisError) as exc:
        raise fail(f"cannot start the embedded server: {exc}", EXIT_CANNOT_RUN) from None
