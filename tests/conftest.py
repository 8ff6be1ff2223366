"""Fixtures that reach real servers.

Redis and PostgreSQL come from `REDIS_URL` / `DATABASE_URL` when set, else from
testcontainers when a Docker engine answers; otherwise the test fails and says how to
provide one. There is no in-memory fake broker: integration tests talk to real servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from shared.settings import Settings
from tests.store_tables import drop_store_tables

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED = next(iter(sorted(SEEDS.glob("*.txt"))))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


_NO_SERVER = (
    "{what} is needed for this test: set {var} (e.g. {example}) to a running server, "
    "or run a Docker engine so testcontainers can start one."
)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    if not _docker_answers():
        pytest.fail(
            _NO_SERVER.format(what="Redis", var="REDIS_URL", example="redis://localhost:6379/0")
        )
    from testcontainers.redis import RedisContainer

    with RedisContainer("redis:7-alpine") as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    if not _docker_answers():
        pytest.fail(
            _NO_SERVER.format(
                what="PostgreSQL",
                var="DATABASE_URL",
                example="postgresql://postgres@localhost:5432/test",
            )
        )
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:15-alpine", driver=None) as container:
        yield container.get_connection_url()


@pytest.fixture
def stream_prefix() -> str:
    """A prefix of its own per test, so tests never see each other's streams."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def table_name() -> str:
    return f"articles_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(redis_url: str, stream_prefix: str, table_name: str, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "REDIS_URL": redis_url,
            # SQLite unless a test asks for PostgreSQL, whatever the environment says
            "DATABASE_URL": None,
            "stream_prefix": stream_prefix,
            "table_name": table_name,
            "sqlite_path": tmp_path / "newsflow.db",
            "claim_interval_s": 0.2,
            "retry_backoff_ms": 50,
            "claim_idle_ms": 2000,
            "block_ms": 100,
            # No /metrics and /health endpoints unless a test asks for them: a fixed port
            # per stage would collide between tests.
            "http_port": 0,
        }
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The test's settings on each store in turn: SQLite, then PostgreSQL on a table of the
    test's own (dropped after, with the tables the store made beside it)."""
    if request.param == "sqlite":
        yield settings
        return
    url = request.getfixturevalue("database_url")
    yield settings.model_copy(update={"database_url": SecretStr(url)})
    drop_store_tables(url, settings.table_name)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    """An async Redis client; the test's streams are deleted after it."""
    client = Redis.from_url(settings.redis_url.get_secret_value())
    yield client
    keys = [key async for key in client.scan_iter(f"{settings.stream_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
