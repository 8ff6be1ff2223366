"""GET /api/sources: each source with its figures, read from Redis, the store and the DLQ."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from redis.asyncio import Redis

from shared.dead_letters import dead_letter_for
from shared.errors import Rejected
from shared.events import RawSubmission
from shared.settings import Settings
from shared.sources import SourceRecord, SourceRegistry, SourceState
from shared.streams import DATA_FIELD, StreamNames
from tests.api.articles import enriched, store_articles
from tests.api.server import served_api

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 11, 20, 8, tzinfo=UTC)


async def dead_letter(redis: Redis, names: StreamNames, payload: bytes, reason: str) -> None:
    letter = dead_letter_for(
        "fetcher",
        names.raw,
        b"1-0",
        {DATA_FIELD.encode(): payload},
        reason=reason,
        exc=Rejected(reason, "test"),
        delivery_count=1,
        first_failed_at=None,
        now=WHEN,
        max_payload_bytes=1024 * 1024,
    )
    await redis.xadd(names.dlq, {DATA_FIELD: letter.to_json()})


async def test_sources_with_seen_stored_and_dead_lettered_figures(
    store_settings: Settings, redis: Redis
) -> None:
    names = StreamNames(store_settings.stream_prefix)
    registry = SourceRegistry(redis, names)
    harbour = await registry.add(
        SourceRecord(
            name="harbour",
            url="https://harbour.example/",
            sitemaps=["https://harbour.example/s.xml"],
        )
    )
    await registry.add(
        SourceRecord(
            name="quiet", url="https://quiet.example/", feeds=["https://quiet.example/rss"]
        )
    )
    await redis.hincrby(registry.published_key, harbour.key, 4)
    await registry.save_state(
        harbour, SourceState(last_polled_at=WHEN, last_success_at=WHEN, last_error="x: ssrf")
    )
    await store_articles(
        store_settings,
        [
            enriched(f"a{n}", title="t", text="words here", published_at=WHEN, source="harbour")
            for n in range(3)
        ]
        + [enriched("other", title="t", text="w", published_at=WHEN, source="elsewhere")],
    )
    submission = RawSubmission(url="https://harbour.example/a/9", source="harbour").to_json()
    await dead_letter(redis, names, submission, "http_404")
    await dead_letter(redis, names, submission, "http_404")
    # An event whose payload was cut to fit the cap: the name is still found.
    cut_event = b'{"id":"u1","trace_id":"t","source":{"url":"https://harbour.example/a/8",' \
        b'"name":"harbour","via":"sitemap"},"raw":{"content_b64":"AAAA'  # fmt: skip
    await dead_letter(redis, names, cut_event, "no_text")
    await dead_letter(redis, names, RawSubmission(url="https://x.example/").to_json(), "ssrf")

    async with served_api(store_settings) as url, httpx.AsyncClient(base_url=url) as api:
        answer = await api.get("/api/sources")
    assert answer.status_code == 200
    items = {item["name"]: item for item in answer.json()["items"]}
    assert set(items) == {"harbour", "quiet"}
    assert items["harbour"]["seen"] == 4
    assert items["harbour"]["stored"] == 3
    assert items["harbour"]["dead_lettered"] == {"http_404": 2, "no_text": 1}
    assert items["harbour"]["sitemaps"] == 1 and items["harbour"]["feeds"] == 0
    assert items["harbour"]["last_error"] == "x: ssrf"
    assert items["harbour"]["last_success_at"].startswith("2026-11-20T08:00:00")
    assert items["quiet"] == items["quiet"] | {"seen": 0, "stored": 0, "dead_lettered": {}}


async def test_a_sources_credentials_are_not_shown(
    api: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    names = StreamNames(settings.stream_prefix)
    registry = SourceRegistry(redis, names)
    private = await registry.add(
        SourceRecord(
            name="private",
            url="https://feeduser:hunter2@private.example/?api_key=KEY123&lang=en",
            feeds=["https://private.example/rss?token=TOK456"],
        )
    )
    # A last error written before errors were masked where they are made.
    await registry.save_state(
        private,
        SourceState(
            last_error="https://feeduser:hunter2@private.example/rss?token=TOK456: http_403",
            last_error_at=WHEN,
        ),
    )
    answer = await api.get("/api/sources")
    assert answer.status_code == 200
    for secret in ("hunter2", "KEY123", "TOK456"):
        assert secret not in answer.text
    [item] = answer.json()["items"]
    assert item["url"] == "https://feeduser:***@private.example/?api_key=***&lang=en"
    assert item["last_error"] == "https://feeduser:***@private.example/rss?token=***: http_403"
