"""Every `newsflow` command turns bad arguments and unreachable servers into one line on
stderr and a non-zero exit, never a traceback; `search` never creates a store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.store_tables import drop_store_tables

pytestmark = pytest.mark.integration


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def newsflow(
    cwd: Path, env: dict[str, str], *args: str | bytes
) -> subprocess.CompletedProcess[bytes]:
    """The CLI as a user runs it; args may be bytes, as argv is on POSIX."""
    return subprocess.run(
        [sys.executable, "-m", "newsflow_cli", *args],
        cwd=cwd, env={**os.environ, **env}, capture_output=True, timeout=90, check=False,
    )  # fmt: skip


def one_line_failure(result: subprocess.CompletedProcess[bytes]) -> str:
    """The failure's message, after checking it is one line and the exit is non-zero."""
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, stderr
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def cli_env(tmp_path: Path, stream_prefix: str, table_name: str) -> dict[str, str]:
    """SQLite in the test's own folder, streams of its own; Redis as the environment says."""
    return {
        "DATABASE_URL": "",
        "NEWSFLOW_SQLITE_PATH": str(tmp_path / "newsflow.db"),
        "NEWSFLOW_STREAM_PREFIX": stream_prefix,
        "NEWSFLOW_TABLE_NAME": table_name,
    }


@pytest.fixture
def postgres_env(
    cli_env: dict[str, str], database_url: str, table_name: str
) -> Iterator[dict[str, str]]:
    yield {**cli_env, "DATABASE_URL": database_url}
    drop_store_tables(database_url, table_name)


# --- search ----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["-1", "0", "99999999999999999999"])
def test_search_refuses_a_limit_out_of_range(
    tmp_path: Path, postgres_env: dict[str, str], limit: str
) -> None:
    message = one_line_failure(
        newsflow(tmp_path, postgres_env, "search", "ships", "--limit", limit)
    )
    assert "--limit" in message


def test_search_refuses_a_query_that_is_not_utf8(
    tmp_path: Path, postgres_env: dict[str, str]
) -> None:
    message = one_line_failure(newsflow(tmp_path, postgres_env, "search", b"caf\xe9 \xff"))
    assert "UTF-8" in message


def test_search_with_a_valid_limit_still_answers(
    tmp_path: Path, postgres_env: dict[str, str]
) -> None:
    result = newsflow(tmp_path, postgres_env, "search", "ships", "--limit", "5")
    assert "no stored article matches" in one_line_failure(result)
    assert result.returncode == 1


def test_search_says_postgresql_is_unreachable_without_its_password(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    url = f"postgresql://reader:s3cret-pw@127.0.0.1:{closed_port()}/test"
    result = newsflow(tmp_path, {**cli_env, "DATABASE_URL": url}, "search", "ships")
    message = one_line_failure(result)
    assert "PostgreSQL" in message
    assert "s3cret-pw" not in message


def test_search_does_not_create_a_missing_sqlite_store(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    store = Path(cli_env["NEWSFLOW_SQLITE_PATH"])
    message = one_line_failure(newsflow(tmp_path, cli_env, "search", "ships"))
    assert f"no store at {store}" in message
    assert not store.exists()
    assert list(tmp_path.iterdir()) == []


def test_search_without_a_query_is_one_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = newsflow(tmp_path, cli_env, "search")
    assert "query" in one_line_failure(result).lower()
    assert result.returncode == 2


def test_search_refuses_a_query_the_api_refuses_in_the_same_words(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    message = one_line_failure(newsflow(tmp_path, cli_env, "search", "-"))
    assert message.endswith("q needs at least one word to search for (not only -words)")


# --- unreachable and misconfigured Redis ---------------------------------------------------


def test_status_refuses_a_redis_url_with_a_port_that_is_not_a_number(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "REDIS_URL": "redis://:hunter2@localhost:abc/0"}
    message = one_line_failure(newsflow(tmp_path, env, "status"))
    assert "REDIS_URL" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("status", "--json"),
        ("trace", "0123456789abcdef"),
        ("publish", str(SEED)),
        ("subscribe", "--timeout", "5"),
        ("dlq", "list"),
        ("dlq", "replay", "--all"),
        ("feeds", "list"),
        ("feeds", "add", "https://news.example.com/feed"),
        ("up",),
    ],
    ids=lambda args: "-".join(args[:2]).replace("/", "_"),
)
def test_every_command_says_redis_is_unreachable_in_one_line(
    tmp_path: Path, cli_env: dict[str, str], args: tuple[str, ...]
) -> None:
    env = {**cli_env, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    message = one_line_failure(newsflow(tmp_path, env, *args))
    assert "cannot reach Redis" in message


def test_trace_says_postgresql_is_unreachable(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/test"}
    message = one_line_failure(newsflow(tmp_path, env, "trace", "0123456789abcdef"))
    assert "PostgreSQL" in message


def test_trace_does_not_create_a_missing_sqlite_store(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    result = newsflow(tmp_path, cli_env, "trace", "0123456789abcdef")
    assert "no trace of article" in one_line_failure(result)
    assert list(tmp_path.iterdir()) == []


def test_a_setting_out_of_range_is_one_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "NEWSFLOW_BATCH_SIZE": "-3"}
    message = one_line_failure(newsflow(tmp_path, env, "status"))
    # The variable the user set, not the field behind it (`batch_size`).
    assert message.startswith("invalid settings: NEWSFLOW_BATCH_SIZE: "), message


@pytest.mark.parametrize("args", [("status",), ("serve",)])
@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        # `serve` took it and failed with an OverflowError traceback (int(inf)), at every
        # restart of `newsflow up`'s api.
        ("NEWSFLOW_SHUTDOWN_GRACE_S", "inf", ""),
        # The stages took it for WARNING without a word; the api's uvicorn failed with a
        # KeyError.
        ("NEWSFLOW_LOG_LEVEL", "verbose", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ],
)
def test_a_value_a_service_would_fail_on_is_refused_with_the_settings(
    tmp_path: Path,
    cli_env: dict[str, str],
    args: tuple[str, ...],
    variable: str,
    value: str,
    said: str,
) -> None:
    env = {**cli_env, variable: value, "NEWSFLOW_API_PORT": str(closed_port())}
    message = one_line_failure(newsflow(tmp_path, env, *args))
    assert message.startswith(f"invalid settings: {variable}: "), message
    assert said in message


@pytest.mark.parametrize(
    ("variable", "args"),
    [
        ("NEWSFLOW_FETCH_ALLOW_NETWORKS", ("up", "--stage", "fetcher", "--no-api")),
        ("NEWSFLOW_WEBHOOK_ALLOW_NETWORKS", ("up", "--stage", "webhooks", "--no-api")),
    ],
)
def test_an_allow_list_that_cannot_be_read_stops_up_in_one_line(
    tmp_path: Path, cli_env: dict[str, str], variable: str, args: tuple[str, ...]
) -> None:
    # Once read only by the stage as it started: a traceback, restarted every 5 s.
    env = {**cli_env, variable: "10.0.0.0/8, not a network!", "NEWSFLOW_HTTP_PORT": "0"}
    message = one_line_failure(newsflow(tmp_path, env, *args))
    assert message.startswith(f"invalid settings: {variable}: "), message
    assert "'not a network!' is not a network" in message


def test_a_settings_file_that_is_not_utf8_is_one_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    (tmp_path / ".env").write_bytes(b"NEWSFLOW_API_TOKEN=s\xe9cret\n")
    message = one_line_failure(newsflow(tmp_path, cli_env, "status"))
    assert message.startswith("cannot read the settings file .env: not UTF-8"), message


@pytest.mark.parametrize("args", [("search", "ships"), ("trace", "0123456789abcdef"), ("up",)])
def test_a_table_name_sql_cannot_take_is_refused_with_the_settings(
    tmp_path: Path, cli_env: dict[str, str], args: tuple[str, ...]
) -> None:
    # Once a ValueError from the store, with a traceback, in every command and every stage.
    env = {**cli_env, "NEWSFLOW_TABLE_NAME": "News-Articles"}
    message = one_line_failure(newsflow(tmp_path, env, *args))
    assert message.startswith("invalid settings: NEWSFLOW_TABLE_NAME: "), message


def test_up_says_postgresql_is_unreachable_before_starting_anything(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    # Once the sink, alerts, webhooks and the api each crashed with a traceback, restarted
    # every 5 s for as long as `up` ran.
    url = f"postgresql://postgres:hunter2@127.0.0.1:{closed_port()}/test"
    env = {**cli_env, "DATABASE_URL": url, "NEWSFLOW_HTTP_PORT": "0"}
    message = one_line_failure(newsflow(tmp_path, env, "up", "--stage", "sink", "--no-api"))
    assert "cannot reach PostgreSQL" in message
    assert "hunter2" not in message


def test_up_says_the_sqlite_store_cannot_be_made(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "a-file").write_text("")
    env = {**cli_env, "NEWSFLOW_SQLITE_PATH": str(tmp_path / "a-file" / "newsflow.db")}
    message = one_line_failure(newsflow(tmp_path, env, "up", "--stage", "fetcher"))
    assert "cannot open the store" in message


def test_up_says_the_data_folder_cannot_be_used(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "a-file").write_text("")
    env = {
        **cli_env,
        "NEWSFLOW_EMBEDDED_REDIS": "always",
        "NEWSFLOW_DATA_DIR": str(tmp_path / "a-file"),
        "NEWSFLOW_HTTP_PORT": "0",
    }
    message = one_line_failure(newsflow(tmp_path, env, "up", "--stage", "fetcher", "--no-api"))
    assert "for the embedded server's data" in message and "NEWSFLOW_DATA_DIR" in message


def test_up_refuses_one_metrics_port_for_several_processes(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    # Once the first stage took it and the others served no /health at all, unsaid.
    env = {**cli_env, "NEWSFLOW_HTTP_PORT": str(closed_port())}
    args = ("up", "--stage", "fetcher", "--stage", "parser", "--scale", "parser=1", "--no-api")
    message = one_line_failure(newsflow(tmp_path, env, *args))
    assert "is one port for 2 processes" in message


@pytest.mark.parametrize(
    ("scale", "says"),
    [
        ("enricher", "expected STAGE=N"),
        ("nosuch=2", "no stage named 'nosuch'"),
        ("enricher=0", "at least 1"),
    ],
)
def test_up_says_what_is_wrong_with_a_scale_in_one_line(
    tmp_path: Path, cli_env: dict[str, str], scale: str, says: str
) -> None:
    message = one_line_failure(newsflow(tmp_path, cli_env, "up", "--scale", scale))
    assert says in message


def test_dlq_show_of_something_that_is_not_an_id_says_so(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    message = one_line_failure(newsflow(tmp_path, cli_env, "dlq", "show", "nope"))
    assert "not a dead letter's id" in message


def test_publishing_empty_stdin_says_what_is_missing_in_the_model_s_words(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsflow_cli", "publish", "-"],
        cwd=tmp_path, env={**os.environ, **cli_env}, input=b"", capture_output=True,
        timeout=90, check=False,
    )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode != 0, stderr
    assert "a raw article needs `url` (to fetch) or `content` (non-empty)" in stderr
    assert "pydantic" not in stderr and "validation error" not in stderr
