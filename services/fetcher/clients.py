"""The fetcher's polite client, opened for work outside the stage (`newsflow sources add`,
`newsflow backfill`): the same SSRF guard, robots.txt, host gates and limits as the stage's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.fetcher.download import FetchLimits, make_http_client
from services.fetcher.polite_client import PoliteClient
from services.fetcher.politeness import HostPoliteness, PolitenessRules
from shared.settings import Settings
from shared.ssrf import parse_allow_list


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        max_bytes=settings.max_content_bytes,
        timeout_s=settings.fetch_timeout_s,
        connect_timeout_s=settings.fetch_connect_timeout_s,
        read_timeout_s=settings.fetch_read_timeout_s,
        user_agent=settings.user_agent,
    )


def host_politeness(settings: Settings) -> HostPoliteness:
    return HostPoliteness(
        PolitenessRules(
            interval_s=settings.fetch_host_interval_s,
            concurrency=settings.fetch_host_concurrency,
            max_pause_s=settings.fetch_host_max_pause_s,
            max_wait_s=settings.fetch_max_host_wait_s,
        )
    )


def polite_client(settings: Settings) -> PoliteClient:
    limits = fetch_limits(settings)
    return PoliteClient(
        make_http_client(limits, parse_allow_list(settings.fetch_allow_networks)),
        limits,
        host_politeness(settings),
        robots_ttl_s=settings.fetch_robots_ttl_s,
        obey_robots=settings.fetch_obey_robots,
    )


@asynccontextmanager
async def opened_polite_client(settings: Settings) -> AsyncIterator[PoliteClient]:
    client = polite_client(settings)
    try:
        yield client
    finally:
        await client.http.aclose()
