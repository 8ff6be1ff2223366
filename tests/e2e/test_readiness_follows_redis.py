"""Readiness follows Redis: every stage reports not ready while its Redis is down (liveness
does not follow), and ready again, and working, once it is back. On a private Redis."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import redis
from pydantic import SecretStr

from shared.settings import Settings
from tests.e2e.harness import http_get, serving_stages, stored_count, wait_until
from tests.e2e.operations_support import publish, text_article
from tests.servers import PrivateRedis

pytestmark = pytest.mark.e2e


def test_readiness_fails_while_redis_is_down_and_returns_with_it(
    settings: Settings, tmp_path: Path
) -> None:
    private = PrivateRedis(tmp_path)
    private.start()
    settings = settings.model_copy(update={"redis_url": SecretStr(private.url)})
    try:
        with serving_stages(settings, tmp_path / "logs") as pipeline:
            assert set(pipeline.liveness().values()) == {200}

            private.stop()
            wait_until(
                lambda: set(pipeline.readiness().values()) == {503},
                60,
                "every stage to report not ready without Redis",
            )
            assert set(pipeline.liveness().values()) == {200}, "liveness must not follow Redis"
            assert not pipeline.exited(), pipeline.exited()
            ready = orjson.loads(http_get(pipeline.url("sink", "/health/ready"))[1])
            assert ready["ready"] is False and ready["checks"]["redis"] is False
            assert ready["checks"]["database"] is True, "the sink's database is still there"

            private.start()
            wait_until(
                lambda: set(pipeline.readiness().values()) == {200},
                60,
                "every stage to report ready once Redis is back",
            )
            assert set(pipeline.liveness().values()) == {200}

            # Ready means working: an article published now is stored.
            client = redis.Redis.from_url(private.url)
            try:
                publish(client, settings, [text_article(1)])
                wait_until(lambda: stored_count(settings) == 1, 60, "the article stored")
            finally:
                client.close()
    finally:
        private.stop()
