"""POST /api/articles: refused without the token (403 when none is configured, 401 when
missing or wrong), and with it the article goes on the raw stream and is answered with the
id and trace id the pipeline gives it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from services.fetcher.intake import event_from_content
from shared.events import RawSubmission
from shared.settings import Settings
from shared.streams import StreamNames
from tests.api.server import served_api
from tests.conftest import SEED

pytestmark = pytest.mark.integration

TOKEN = "s3cret-token-for-tests"
SUBMISSION = {
    "content": "Seoul condemns cooperation between Moscow and Pyongyang.",
    "source": "UNN",
}


@pytest.fixture
async def api_with_token(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    with_token = settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    async with served_api(with_token) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def raw_entries(redis: Redis, settings: Settings) -> list[dict[str, object]]:
    entries = await redis.xrange(StreamNames(settings.stream_prefix).raw)
    return [orjson.loads(fields[b"data"]) for _id, fields in entries]


async def test_without_a_configured_token_publishing_is_off(
    api: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    answer = await api.post(
        "/api/articles", json=SUBMISSION, headers={"Authorization": "Bearer anything"}
    )
    assert answer.status_code == 403
    assert "NEWSFLOW_API_TOKEN" in answer.json()["error"]
    assert await raw_entries(redis, settings) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Bearer"}],
    ids=["missing", "wrong", "no-scheme", "empty"],
)
async def test_a_missing_or_wrong_token_is_refused(
    api_with_token: httpx.AsyncClient, redis: Redis, settings: Settings, headers: dict[str, str]
) -> None:
    answer = await api_with_token.post("/api/articles", json=SUBMISSION, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in answer.text
    assert await raw_entries(redis, settings) == []


async def test_the_token_is_checked_before_the_body(api_with_token: httpx.AsyncClient) -> None:
    answer = await api_with_token.post("/api/articles", json={"nothing": 1})
    assert answer.status_code == 401


async def test_with_the_token_the_article_is_published(
    api_with_token: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    content = SEED.read_text()
    answer = await api_with_token.post(
        "/api/articles",
        json={"content": content, "source": "UNN"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    [published] = await raw_entries(redis, settings)
    assert published["content"] == content
    assert published["via"] == "api"
    assert published["trace_id"] == accepted["trace_id"]
    # The id the fetcher will give it.
    submission = RawSubmission.model_validate(published)
    assert accepted["id"] == event_from_content(submission, max_bytes=10**7).id


async def test_a_callers_trace_id_and_url_are_kept(
    api_with_token: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    answer = await api_with_token.post(
        "/api/articles",
        json={
            "content": "Some text.",
            "url": "https://Example.com/a?utm_source=x",
            "trace_id": "t-1",
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 202
    [published] = await raw_entries(redis, settings)
    assert answer.json()["trace_id"] == "t-1" == published["trace_id"]
    submission = RawSubmission.model_validate(published)
    assert answer.json()["id"] == event_from_content(submission, max_bytes=10**7).id


@pytest.mark.parametrize(
    "body",
    [b"{}", b"not json", b'{"url": ""}', b'{"content": 5}', b"[]", b'{"via": "nope", "url": "x"}'],
)
async def test_a_body_that_is_not_a_raw_article_is_a_400(
    api_with_token: httpx.AsyncClient, redis: Redis, settings: Settings, body: bytes
) -> None:
    answer = await api_with_token.post(
        "/api/articles",
        content=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert await raw_entries(redis, settings) == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"url": "https://example.com/\\ud800"}',
        b'{"content": "text \\udfff"}',
        b'{"content": "text", "source": "\\ud800"}',
        b'{"content": "text", "trace_id": "\\ud800"}',
    ],
    ids=["url", "content", "source", "trace_id"],
)
async def test_a_lone_surrogate_is_a_400(
    api_with_token: httpx.AsyncClient, redis: Redis, settings: Settings, body: bytes
) -> None:
    # JSON's \ud800 escape decodes to text that is not UTF-8: no stream can carry it.
    answer = await api_with_token.post(
        "/api/articles",
        content=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert "lone surrogate" in answer.json()["error"]
    assert await raw_entries(redis, settings) == []


async def test_content_over_the_limit_is_a_413(settings: Settings, redis: Redis) -> None:
    small = settings.model_copy(update={"api_token": SecretStr(TOKEN), "max_content_bytes": 1024})
    async with served_api(small) as url, httpx.AsyncClient(base_url=url) as client:
        answer = await client.post(
            "/api/articles",
            json={"content": "x" * 2000},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 413
    assert await raw_entries(redis, settings) == []
