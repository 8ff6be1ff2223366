"""docker-compose.yml checked without a Docker engine: it passes the compose specification,
and its services (the four stages, one image built once, Redis, PostgreSQL, the demo) are
wired to each other the way the settings expect."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import typer

from shared.settings import Settings
from shared.streams import STAGES
from tests.compose_file import (
    BUILDERS,
    BUILT,
    COMPOSE_FILE,
    DEMO_SERVICES,
    LONG_RUNNING,
    PROJECT_IMAGE,
    REPO,
    SERVICES,
    STAGE_SERVICES,
    command_of,
    depends_on,
    environment_of,
    seconds,
)

# --- the compose specification ---------------------------------------------------------


def test_compose_file_passes_the_compose_spec() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    assert checker.exists(), f"{checker} is missing: install the project's test extra"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


# --- the four stages -------------------------------------------------------------------


def test_every_stage_runs_as_its_own_service() -> None:
    assert set(STAGE_SERVICES) == set(STAGES)
    for name, service in STAGE_SERVICES.items():
        assert command_of(service) == ["faststream", "run", f"services.{name}.app:app"]


def test_every_stage_scales_with_docker_compose_up_scale() -> None:
    """`docker compose up --scale enricher=N` starts N containers of a stage: compose refuses
    that for a service with a fixed container name or a published host port, and replicas
    need a consumer name each, which the default (hostname-pid: the container id) gives."""
    for name, service in STAGE_SERVICES.items():
        assert "container_name" not in service, name
        assert "ports" not in service, f"{name} publishes a host port: it cannot scale"
        assert "hostname" not in service, f"{name}'s replicas would share one consumer name"
        assert "NEWSFLOW_CONSUMER_NAME" not in environment_of(service), name


def test_one_service_builds_the_image_the_others_run() -> None:
    # Compose builds every service that has a `build` section, in parallel, even when they
    # name the same Dockerfile: four builds of one image. One builder, the rest run its image.
    assert len(BUILDERS) == 1, f"more than one service builds deploy/Dockerfile: {sorted(BUILDERS)}"
    (builder,) = BUILDERS.values()
    assert builder["build"].get("context", ".") == "."
    assert PROJECT_IMAGE, "the building service does not name its image"
    for name, service in BUILT.items():
        if name in BUILDERS:
            continue
        assert "build" not in service, name
        # Never pulled from a registry, where an image of that name is someone else's.
        assert service.get("pull_policy") == "never", name


def test_every_built_service_runs_faststream_or_the_cli() -> None:
    assert BUILT, "no service is built from deploy/Dockerfile"
    for name, service in BUILT.items():
        program = command_of(service)[0]
        assert program in {"faststream", "newsflow"}, f"{name} runs {program!r}"


def test_stages_get_longer_to_stop_than_their_shutdown_grace() -> None:
    # Docker kills a container 10 s after SIGTERM unless told otherwise; a stage needs
    # shutdown_grace_s to finish and ack what it holds.
    grace = Settings.model_fields["shutdown_grace_s"].default
    for name, service in STAGE_SERVICES.items():
        assert "stop_grace_period" in service, name
        assert seconds(service["stop_grace_period"]) > grace, name


# --- redis and postgres ----------------------------------------------------------------


def test_redis_keeps_an_append_only_file_on_a_volume() -> None:
    redis = SERVICES["redis"]
    assert str(redis["image"]).split(":")[:2] == ["redis", "7"]
    command = command_of(redis)
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "--requirepass" in command
    assert any(str(volume).endswith(":/data") for volume in redis["volumes"])
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


def test_postgres_takes_its_credentials_from_the_environment() -> None:
    postgres = SERVICES["postgres"]
    assert str(postgres["image"]).startswith("postgres:15")
    raw = postgres["environment"]
    for variable in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert re.fullmatch(rf"\$\{{{variable}:-[^}}]+\}}", raw[variable]), raw[variable]
    assert any(str(volume).endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


# --- wiring between services -----------------------------------------------------------


def test_dependencies_exist_and_wait_until_healthy() -> None:
    for name, service in SERVICES.items():
        for target, condition in depends_on(service).items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            assert condition == "service_healthy", f"{name} -> {target}: {condition}"
            assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck"
    for name in STAGE_SERVICES:
        assert "redis" in depends_on(SERVICES[name]), name
    assert "postgres" in depends_on(SERVICES["sink"])


def test_every_long_running_service_has_a_healthcheck_and_restarts() -> None:
    for name, service in LONG_RUNNING.items():
        healthcheck = service.get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), name
        assert service.get("restart") in {"always", "unless-stopped", "on-failure"}, name


def test_no_service_runs_its_stage_as_root() -> None:
    for name, service in BUILT.items():
        assert str(service.get("user", "")) not in {"root", "0", "0:0"}, name


# --- the demo profile ------------------------------------------------------------------


def newsflow_cli() -> typer.Typer:
    """The typer app behind the `newsflow` console script of pyproject.toml."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    module_name, _, _ = pyproject["project"]["scripts"]["newsflow"].partition(":")
    module = importlib.import_module(module_name)
    apps = [value for value in vars(module).values() if isinstance(value, typer.Typer)]
    # Sub-apps (`newsflow feeds ...`) are registered on the root app; the root is the one
    # that no other app holds.
    groups = {id(group.typer_instance) for app in apps for group in app.registered_groups}
    roots = [app for app in apps if id(app) not in groups]
    assert len(roots) == 1, f"{module_name} should hold one root typer app, found {len(roots)}"
    return roots[0]


def test_demo_profile_publishes_the_seeds_once_the_stages_are_healthy() -> None:
    assert len(DEMO_SERVICES) == 1, sorted(DEMO_SERVICES)
    (name, demo), *_ = DEMO_SERVICES.items()
    assert name in BUILT, "the demo does not run the project's image"
    assert demo.get("restart") == "no"
    assert depends_on(demo) == dict.fromkeys(STAGES, "service_healthy")

    command = command_of(demo)
    assert command[0] == "newsflow", command
    group = typer.main.get_command(newsflow_cli())
    subcommands = getattr(group, "commands", {})
    assert command[1] in subcommands, f"`newsflow {command[1]}` is not a subcommand"
    # Parses the arguments exactly as the CLI would, without running the command.
    subcommands[command[1]].make_context(command[1], command[2:])

    assert command[1] == "publish"
    # The image copies seeds/ into its working directory, where the demo runs.
    assert command[2:] == ["seeds/"], command
    assert any((REPO / "seeds").iterdir()), "seeds/ is empty"


# --- the api -------------------------------------------------------------------------------


def test_the_api_is_newsflow_serve_published_on_localhost_and_healthchecked() -> None:
    api = SERVICES["api"]
    assert api in BUILT.values() and "build" not in api
    command = command_of(api)
    assert command == ["newsflow", "serve"]
    group = typer.main.get_command(newsflow_cli())
    assert command[1] in getattr(group, "commands", {})
    environment = environment_of(api)
    # Listens on every address of its container; published on the host's loopback only.
    assert environment["NEWSFLOW_API_HOST"] == "0.0.0.0"
    port = environment["NEWSFLOW_API_PORT"]
    assert api["ports"] == ["127.0.0.1:${API_HOST_PORT:-8000}:" + port]
    assert f"http://127.0.0.1:{port}/health/ready" in " ".join(api["healthcheck"]["test"])
    assert set(depends_on(api)) == {"redis", "postgres"}
    # The store the sink writes: compose's PostgreSQL, not a SQLite file of its own.
    assert environment["DATABASE_URL"] == environment_of(SERVICES["sink"])["DATABASE_URL"]
    # Publishing over HTTP stays off unless the user sets a token.
    assert environment["NEWSFLOW_API_TOKEN"] == ""
