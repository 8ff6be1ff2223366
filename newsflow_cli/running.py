"""How every command runs its work: settings read once, servers reached through one place,
and whatever stops the command (Redis or PostgreSQL down, a setting that is wrong) said in
one line on stderr with a non-zero exit, not a traceback.

A command body calls `run_async(work)`; `work` is an async function with no arguments.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from pydantic import SecretStr, ValidationError
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from newsflow_cli.console import err, print_failure
from newsflow_cli.embedded_state import STATE_FILE, state_is_stale, state_url
from shared.errors import Unavailable
from shared.redis_connection import redis_client
from shared.secret_text import masked
from shared.settings import Settings, get_settings
from shared.settings_doc import env_name
from shared.validation_text import reason_of

T = TypeVar("T")

# Exit codes: 1 the command ran and found nothing or failed on an input, 2 it could not run
# (bad arguments or settings, a server it needs is unreachable).
EXIT_FAILED = 1
EXIT_CANNOT_RUN = 2


def one_line(message: str) -> str:
    """Server errors span lines (psycopg adds hints); a failure is reported as one, with any
    password a driver echoed from its connection string masked."""
    return " ".join(masked(message).split())


def fail(message: str, exit_code: int = EXIT_FAILED) -> typer.Exit:
    """Print why the command stops and give the exit to raise: `raise fail(...)`."""
    print_failure(one_line(message))
    return typer.Exit(exit_code)


def load_settings(*, find_embedded: bool = True) -> Settings:
    """The settings; with REDIS_URL unset, the URL of the server a `newsflow up` in this
    folder started, if one runs (said in one line, without the password)."""
    settings = _validated_settings()
    if not find_embedded or settings.embedded_redis == "never":
        return settings
    if "redis_url" in settings.model_fields_set:
        return settings
    url = state_url(settings.data_dir)
    if url is None:
        return settings
    if state_is_stale(settings.data_dir):
        # Its URL would only fail as "cannot reach Redis", blaming REDIS_URL, which is unset.
        raise fail(
            f"{settings.data_dir / STATE_FILE} names a server that is not running (its "
            "`newsflow up` was killed): start `newsflow up` in this folder again, or set "
            "REDIS_URL",
            EXIT_CANNOT_RUN,
        )
    err.print(
        f"REDIS_URL is not set: using the server of `newsflow up` "
        f"({settings.data_dir / STATE_FILE})",
        soft_wrap=True,
        highlight=False,
    )
    return settings.model_copy(update={"redis_url": SecretStr(url)})


def _validated_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        # Each error by field and reason; pydantic's own text would echo the values, and a
        # value can be a URL with its password.
        problems = "; ".join(
            f"{_variable(error['loc'])}: {reason_of(error)}" for error in exc.errors()
        )
        raise fail(f"invalid settings: {problems}", EXIT_CANNOT_RUN) from None
    except UnicodeDecodeError as exc:
        # The only file the settings are read from; its text is not echoed (it holds secrets).
        raise fail(
            f"cannot read the settings file .env: not UTF-8 ({exc.reason})", EXIT_CANNOT_RUN
        ) from None


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable a refused value came from (`NEWSFLOW_BATCH_SIZE`, not the
    field `batch_size`): what the user set, and what README and `.env.example` call it."""
    head, *rest = [str(part) for part in loc] or ["?"]
    field = Settings.model_fields.get(head)
    return ".".join([env_name(head, field) if field is not None else head, *rest])


def connect_redis(settings: Settings) -> Redis:
    """A client of REDIS_URL (nothing is sent yet); a URL that cannot be parsed stops here."""
    try:
        return redis_client(settings)
    except ValueError as exc:
        raise fail(f"REDIS_URL is not a usable Redis URL: {exc}", EXIT_CANNOT_RUN) from None


def check_redis_url(settings: Settings) -> None:
    """For commands whose Redis client is made elsewhere (the Python client): fail early."""
    # Made and dropped: a client connects on its first command, so there is nothing to close.
    connect_redis(settings)


@asynccontextmanager
async def redis_connection(settings: Settings) -> AsyncIterator[Redis]:
    client = connect_redis(settings)
    try:
        yield client
    finally:
        await client.aclose()


def _redis_unreachable(exc: Exception) -> str:
    return (
        f"cannot reach Redis ({exc}); is it running? REDIS_URL is read from the environment "
        "(default redis://localhost:6379/0)."
    )


def _postgres_failure(exc: Exception) -> str | None:
    # psycopg is imported by the PostgreSQL store only; if it is not loaded, the error is
    # not its own, and a command that never touched PostgreSQL does not pay for loading it.
    psycopg: Any = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return None
    if isinstance(exc, psycopg.OperationalError):
        return f"cannot reach PostgreSQL ({exc}); DATABASE_URL is read from the environment."
    return f"PostgreSQL refused: {exc}"


def _why_it_cannot_run(exc: Exception) -> str | None:
    """The one line for a failure of a server or the store; None for anything else (a bug,
    which keeps its traceback)."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return _redis_unreachable(exc)
    if isinstance(exc, RedisError):
        return f"Redis refused: {exc}"
    if isinstance(exc, sqlite3.Error):
        return f"SQLite store: {exc}"
    if isinstance(exc, Unavailable):
        return f"store unavailable: {exc}"
    if isinstance(exc, UnicodeEncodeError):
        # A surrogate from argv bytes that are not UTF-8, met when it is sent to a server.
        return "an argument is not valid UTF-8"
    return _postgres_failure(exc)


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Run a command's async work to its end; a server that is down ends the command."""

    async def main() -> T:
        return await work()

    try:
        return asyncio.run(main())
    except Exception as exc:
        message = _why_it_cannot_run(exc)
        if message is None:
            raise
        raise fail(message, EXIT_CANNOT_RUN) from None
