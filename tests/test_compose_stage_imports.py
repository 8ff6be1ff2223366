"""Every stage command of docker-compose.yml imported in this process, under the environment
compose gives it and with the network refused: the command names a FastStream app, and the
environment is settings that reach compose's Redis and PostgreSQL. No Docker engine needed."""

from __future__ import annotations

import importlib
import re
import socket
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from faststream import FastStream

from shared import settings as settings_module
from shared.settings import Settings
from tests.compose_file import (
    REPO,
    SERVICES,
    STAGE_SERVICES,
    command_of,
    environment_of,
    interpolate,
    settings_env_names,
)


@pytest.fixture
def refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing an app builds its settings and broker; it must not resolve or connect."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network use while importing a service: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


def import_fresh(module_name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Import `module_name` anew; sys.modules and the parent package are restored after."""
    monkeypatch.setitem(sys.modules, module_name, sys.modules.get(module_name))
    del sys.modules[module_name]
    parent_name, _, child = module_name.rpartition(".")
    parent = importlib.import_module(parent_name)
    monkeypatch.setattr(parent, child, getattr(parent, child, None), raising=False)
    return importlib.import_module(module_name)


@pytest.mark.parametrize("name", sorted(STAGE_SERVICES))
def test_stage_command_names_a_faststream_app(
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
    refuse_network: None,
) -> None:
    command = command_of(STAGE_SERVICES[name])
    assert command[:2] == ["faststream", "run"], command
    target = command[2]
    assert re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", target), target
    module_name, attribute = target.split(":")

    for variable in settings_env_names():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment_of(STAGE_SERVICES[name]).items():
        monkeypatch.setenv(variable, value)
    # The settings also read ./.env; a developer's file must not change what is imported.
    monkeypatch.chdir(REPO / "deploy")

    module = import_fresh(module_name, monkeypatch)
    assert hasattr(module, attribute), f"{module_name} has no {attribute}"
    assert isinstance(getattr(module, attribute), FastStream)


@pytest.mark.parametrize("name", sorted(STAGE_SERVICES))
def test_stage_environment_is_settings_that_reach_the_stack(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = environment_of(STAGE_SERVICES[name])
    unknown = set(environment) - settings_env_names()
    assert not unknown, f"{name} sets variables Settings does not read: {sorted(unknown)}"

    monkeypatch.chdir(REPO / "deploy")
    for variable in settings_env_names():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    settings = Settings()

    redis_url = urlsplit(settings.redis_url.get_secret_value())
    assert (redis_url.hostname, redis_url.port or 6379) == ("redis", 6379)
    redis_command = command_of(SERVICES["redis"])
    password = interpolate(redis_command[redis_command.index("--requirepass") + 1])
    assert redis_url.password == password

    if name == "sink":
        assert settings.uses_postgres
    if settings.database_url is not None:
        database_url = urlsplit(settings.database_url.get_secret_value())
        postgres = environment_of(SERVICES["postgres"])
        assert database_url.hostname == "postgres"
        assert database_url.username == postgres["POSTGRES_USER"]
        assert database_url.password == postgres["POSTGRES_PASSWORD"]
        assert database_url.path.lstrip("/") == postgres["POSTGRES_DB"]
