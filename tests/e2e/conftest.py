"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from shared.settings import Settings
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def client(settings: Settings) -> Iterator[redis.Redis]:
    """A Redis client on the test's servers; the test's streams are deleted after it."""
    c = redis.Redis.from_url(settings.redis_url.get_secret_value())
    yield c
    keys = list(c.scan_iter(f"{settings.stream_prefix}:*"))
    if keys:
        c.delete(*keys)
    c.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 that checks every signature (tests/webhook_receiver.py)."""
    made = WebhookReceiver({}).start()
    yield made
    made.stop()
