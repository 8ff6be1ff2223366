"""When `newsflow up` starts its own server (NEWSFLOW_EMBEDDED_REDIS)."""

from __future__ import annotations

import socket

import pytest

from newsflow_cli import queue_server
from shared.settings import Settings


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def nothing_on_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_server, "DEFAULT_REDIS", ("127.0.0.1", unused_port()))


@pytest.fixture
def something_on_the_default(monkeypatch: pytest.MonkeyPatch) -> socket.socket:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    monkeypatch.setattr(queue_server, "DEFAULT_REDIS", listening.getsockname())
    return listening


def settings(monkeypatch: pytest.MonkeyPatch, mode: str, redis_url: str | None) -> Settings:
    monkeypatch.delenv("REDIS_URL", raising=False)
    if redis_url is not None:
        monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("NEWSFLOW_EMBEDDED_REDIS", mode)
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.usefixtures("nothing_on_the_default")
def test_auto_starts_one_when_nothing_is_configured_or_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert queue_server.wants_embedded(settings(monkeypatch, "auto", None))
    assert not queue_server.wants_embedded(settings(monkeypatch, "auto", "redis://h:1/0"))
    assert not queue_server.wants_embedded(settings(monkeypatch, "never", None))


def test_auto_uses_a_redis_that_answers_on_the_default_port(
    monkeypatch: pytest.MonkeyPatch, something_on_the_default: socket.socket
) -> None:
    with something_on_the_default:
        assert not queue_server.wants_embedded(settings(monkeypatch, "auto", None))
        assert queue_server.wants_embedded(settings(monkeypatch, "always", None))
        assert queue_server.wants_embedded(settings(monkeypatch, "always", "redis://h:1/0"))


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="embedded_redis"):
        settings(monkeypatch, "sometimes", None)
