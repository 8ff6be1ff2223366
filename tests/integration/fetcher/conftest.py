"""A `PoliteClient` aimed at local servers, built the way the fetcher app builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpcore
import pytest

from services.fetcher.download import FetchLimits, make_http_client
from services.fetcher.polite_client import PoliteClient
from services.fetcher.politeness import HostPoliteness, PolitenessRules
from shared.ssrf import parse_allow_list

LOOPBACK = "127.0.0.0/8"


class CountingBackend(httpcore.AnyIOBackend):
    """The real network backend, counting the TCP connections it is asked to open."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self, host: str, port: int, *args: object, **kwargs: object
    ) -> httpcore.AsyncNetworkStream:  # type: ignore[override]
        self.connects.append((host, port))
        return await super().connect_tcp(host, port, *args, **kwargs)  # type: ignore[arg-type]


ClientFactory = Callable[..., Awaitable[PoliteClient]]


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    made: list[PoliteClient] = []

    async def make(
        *,
        allow: str = LOOPBACK,
        interval_s: float = 0.0,
        concurrency: int = 2,
        max_bytes: int = 1_000_000,
        obey_robots: bool = True,
        timeout_s: float = 10.0,
        max_wait_s: float = 30.0,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> PoliteClient:
        limits = FetchLimits(
            max_bytes=max_bytes,
            timeout_s=timeout_s,
            connect_timeout_s=2.0,
            read_timeout_s=timeout_s,
            user_agent="newsflow-test/1.0",
        )
        client = PoliteClient(
            make_http_client(limits, parse_allow_list(allow), inner_backend=backend),
            limits,
            HostPoliteness(
                PolitenessRules(
                    interval_s=interval_s, concurrency=concurrency, max_wait_s=max_wait_s
                )
            ),
            robots_ttl_s=60,
            obey_robots=obey_robots,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.http.aclose()
