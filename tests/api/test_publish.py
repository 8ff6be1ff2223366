"""POST /api/articles: refused without the token (403 when none is configured, 401 when
missing or wrong), and with it the article goes on the raw stream and is answered with the
id and trace id the pipeline gives it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from services.api.publish_routes import PUBLISH_WAIT_S
from services.api.write_guard import publish_body_cap
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


async def post_json(api: httpx.AsyncClient, body: bytes) -> httpx.Response:
    """`body` as it is, with the token: bytes no JSON encoder would write."""
    return await api.post(
        "/api/articles",
        content=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )


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


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}], ids=["missing", "wrong"]
)
async def test_without_the_token_a_malformed_body_is_a_401_too(
    api_with_token: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await api_with_token.post(
        "/api/articles", content=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 401, answer.text


async def raw_answer(base_url: str, head: str, body: bytes = b"") -> tuple[int, dict[str, object]]:
    """Status and JSON of the answer to a request whose body may be cut short: the api must
    answer without waiting for the rest (a timeout here means it waited to read it)."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        answer_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        lines = answer_head.decode("latin-1").split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        answer = await asyncio.wait_for(reader.readexactly(int(fields["content-length"])), 5)
    finally:
        writer.close()
    return int(lines[0].split()[1]), orjson.loads(answer)


def post_head(length: int | None, token: str | None) -> str:
    lines = ["POST /api/articles HTTP/1.1", "Host: api", "Content-Type: application/json"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return "\r\n".join(lines) + "\r\n\r\n"


async def test_without_the_token_the_body_is_not_read(settings: Settings) -> None:
    with_token = settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    async with served_api(with_token) as url:
        # 150 MB announced, a few bytes sent: the 401 comes without the rest.
        status, answer = await raw_answer(url, post_head(150 * 10**6, None), b'{"content": "')
    assert status == 401 and "Authorization" in str(answer["error"])


async def test_a_body_over_the_cap_is_a_413_without_reading_the_rest(
    settings: Settings, redis: Redis
) -> None:
    small = settings.model_copy(update={"api_token": SecretStr(TOKEN), "max_content_bytes": 1024})
    cap = publish_body_cap(1024)
    async with served_api(small) as url:
        status, answer = await raw_answer(url, post_head(150 * 10**6, TOKEN), b'{"content": "')
        assert status == 413 and str(cap) in str(answer["error"])
        # Chunked, no length said: refused once the chunks pass the cap, the end unsent.
        chunk = b"x" * 4096
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(cap // 4096 + 1))
        status, answer = await raw_answer(url, post_head(None, TOKEN), chunks)
        assert status == 413 and str(cap) in str(answer["error"])
    assert await raw_entries(redis, settings) == []


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
    answer = await post_json(api_with_token, body)
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
    answer = await post_json(api_with_token, body)
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


async def test_a_full_backlog_is_a_503_after_a_short_wait(settings: Settings, redis: Redis) -> None:
    # No fetcher reads the raw stream: two entries fill a backlog of two, for good.
    full = settings.model_copy(update={"api_token": SecretStr(TOKEN), "max_backlog": 2})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with served_api(full) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        for n in range(2):
            answer = await client.post("/api/articles", json={"content": f"text {n}"}, headers=auth)
            assert answer.status_code == 202, answer.text
        started = time.monotonic()
        answer = await client.post("/api/articles", json={"content": "too many"}, headers=auth)
        waited = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert "NEWSFLOW_MAX_BACKLOG" in answer.json()["error"]
    assert int(answer.headers["retry-after"]) > 0
    assert PUBLISH_WAIT_S - 0.5 <= waited < PUBLISH_WAIT_S + 5
    assert len(await raw_entries(redis, settings)) == 2
