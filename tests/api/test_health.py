"""/health/live, /health/ready and /metrics, like every stage's; unknown paths are JSON 404s."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from shared.settings import Settings
from tests.api.server import served_api

pytestmark = pytest.mark.integration


async def test_live_ready_and_metrics(api: httpx.AsyncClient) -> None:
    assert (await api.get("/health/live")).json() == {"status": "alive"}
    ready = await api.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"store": True, "redis": True}}
    metrics = await api.get("/metrics")
    assert metrics.status_code == 200
    assert 'newsflow_api_requests_total{route="/health/ready",status="200"}' in metrics.text


async def test_not_ready_while_redis_does_not_answer(settings: Settings) -> None:
    nowhere = settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0")})
    async with served_api(nowhere) as url, httpx.AsyncClient(base_url=url) as client:
        ready = await client.get("/health/ready")
        assert (await client.get("/health/live")).status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"store": True, "redis": False}


async def test_an_unknown_path_is_a_json_404(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"error": "Not Found"}
