"""Every setting newsflow reads, from the environment (and an optional `.env` file).

`REDIS_URL` and `DATABASE_URL` keep their conventional names so the same variables work
for docker compose, the test fixtures and other tools; everything else is `NEWSFLOW_*`.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSFLOW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    redis_url: SecretStr = Field(
        default=SecretStr("redis://localhost:6379/0"),
        validation_alias="REDIS_URL",
        description="Redis connection URL; a database number in the path is honoured.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="postgresql:// URL for the sink; unset means SQLite at sqlite_path.",
    )
    sqlite_path: Path = Field(
        default=Path("newsflow.db"),
        description="SQLite file used by the sink when DATABASE_URL is unset.",
    )
    table_name: str = Field(
        default="articles", description="Table the sink stores articles in."
    )
    stream_prefix: str = Field(
        default="newsflow",
        description="Prefix of every stream and key (`<prefix>:raw`, ...).",
    )
    consumer_name: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="This process's consumer name inside its stage's group.",
    )
    batch_size: int = Field(default=16, ge=1, description="Entries read per XREADGROUP.")
    block_ms: int = Field(default=1000, ge=1, description="XREADGROUP block time (ms).")
    max_deliveries: int = Field(
        default=5, ge=1, description="Deliveries of a failing entry before it is dead-lettered."
    )
    claim_idle_ms: int = Field(
        default=30_000,
        ge=100,
        description="Idle time after which another consumer's pending entry is reclaimed (ms).",
    )
    retry_backoff_ms: int = Field(
        default=1_000, ge=1, description="First retry delay of a failed entry; doubles per try (ms)."
    )
    claim_interval_s: float = Field(
        default=5.0, gt=0, description="How often a stage looks for entries to reclaim (s)."
    )
    shutdown_grace_s: float = Field(
        default=15.0, gt=0, description="Time in-flight work gets to finish on SIGTERM (s)."
    )
    max_content_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest raw document accepted (bytes)."
    )
    fetch_timeout_s: float = Field(default=20.0, gt=0, description="Total time for one fetch (s).")
    fetch_connect_timeout_s: float = Field(default=5.0, gt=0, description="Connect timeout (s).")
    user_agent: str = Field(
        default="newsflow/0.1 (+https://github.com/newsflow/newsflow)",
        description="User-Agent sent by the fetcher.",
    )
    keep_raw: bool = Field(
        default=False,
        description="Keep the raw document in events after parsing (bigger streams and rows).",
    )
    log_level: str = Field(default="WARNING", description="Log level of the stages.")
    log_json: bool = Field(default=True, description="Log as JSON lines (false: console).")

    @property
    def uses_postgres(self) -> bool:
        url = self.database_url.get_secret_value() if self.database_url else ""
        return url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
