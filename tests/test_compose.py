"""docker-compose.yml and deploy/Dockerfile, checked without a Docker engine.

Nothing here builds or starts a container: the compose file is validated against the
compose specification, every stage command is imported in this process (under the
environment compose gives it, with the network refused), and the wiring between
services (dependencies, healthchecks, credentials) is checked against the settings. The
stages' healthcheck command is run for real, against a stage process started the way compose
starts it (that test is marked e2e).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import typer
import yaml
from faststream import FastStream

from shared import settings as settings_module
from shared.settings import Settings
from shared.streams import STAGES
from tests.servers import PrivateRedis, free_port

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

# `${NAME}`, `${NAME:-default}` and `${NAME-default}`; `$$` is a literal `$`.
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def load_compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    return document


COMPOSE = load_compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def interpolate(value: str) -> str:
    """What compose makes of a value when no variable is set: every default applies."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return match.group("default") or ""

    return _VARIABLE.sub(substitute, value)


def built_from_dockerfile(service: dict[str, Any]) -> bool:
    build = service.get("build")
    if not isinstance(build, dict):
        return False
    context = REPO / build.get("context", ".")
    return (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE.resolve()


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: interpolate(str(value)) for name, value in environment.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Dependency name -> condition (the short list form means `service_started`)."""
    dependencies = service.get("depends_on", {})
    if isinstance(dependencies, list):
        return dict.fromkeys(dependencies, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in dependencies.items()}


def seconds(duration: str | int | float) -> float:
    if isinstance(duration, int | float):
        return float(duration)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts, f"not a compose duration: {duration!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def settings_env_names() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    return {
        field.validation_alias
        if isinstance(field.validation_alias, str)
        else f"{prefix}{name}".upper()
        for name, field in Settings.model_fields.items()
    }


BUILDERS = {name: service for name, service in SERVICES.items() if built_from_dockerfile(service)}
# The image deploy/Dockerfile builds, under the name its one builder gives it.
PROJECT_IMAGE = next(iter(BUILDERS.values())).get("image") if len(BUILDERS) == 1 else None
# Every service that runs the project's image: the stages and the demo.
BUILT = {
    name: service
    for name, service in SERVICES.items()
    if name in BUILDERS or (PROJECT_IMAGE is not None and service.get("image") == PROJECT_IMAGE)
}
STAGE_SERVICES = {
    name: service for name, service in BUILT.items() if command_of(service)[0] == "faststream"
}
DEMO_SERVICES = {
    name: service for name, service in SERVICES.items() if "demo" in service.get("profiles", [])
}
# Services that `docker compose up` starts and keeps running.
LONG_RUNNING = {name: service for name, service in SERVICES.items() if name not in DEMO_SERVICES}


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


def test_stages_get_longer_to_stop_than_their_shutdown_grace() -> None:
    # Docker kills a container 10 s after SIGTERM unless told otherwise; a stage needs
    # shutdown_grace_s to finish and ack what it holds.
    grace = Settings.model_fields["shutdown_grace_s"].default
    for name, service in STAGE_SERVICES.items():
        assert "stop_grace_period" in service, name
        assert seconds(service["stop_grace_period"]) > grace, name


def stage_healthcheck() -> list[str]:
    """The one healthcheck command the stages share, as argv."""
    tests = {tuple(service["healthcheck"]["test"]) for service in STAGE_SERVICES.values()}
    assert len(tests) == 1, tests
    (test,) = tests
    assert test[0] == "CMD", test
    argv = [interpolate(part) for part in test[1:]]
    assert argv[:2] == ["python", "-c"], argv
    return argv


def test_stage_healthcheck_asks_the_stages_readiness_endpoint() -> None:
    code = stage_healthcheck()[2]
    ports = {
        environment_of(service).get("NEWSFLOW_HTTP_PORT") for service in STAGE_SERVICES.values()
    }
    assert len(ports) == 1 and None not in ports, ports
    (port,) = ports
    assert f"http://127.0.0.1:{port}/health/ready" in code


def run_healthcheck(port: int) -> subprocess.CompletedProcess[bytes]:
    """The healthcheck command as compose runs it, against a stage's endpoint on `port`."""
    port_in_compose = environment_of(next(iter(STAGE_SERVICES.values())))["NEWSFLOW_HTTP_PORT"]
    argv = stage_healthcheck()
    code = argv[2].replace(f"127.0.0.1:{port_in_compose}/", f"127.0.0.1:{port}/")
    assert code != argv[2]
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
    )


@contextmanager
def running_parser(redis_url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The parser stage as compose runs it (`faststream run ...`), on this test's Redis and
    streams, its health endpoint on `port`."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "NEWSFLOW_STREAM_PREFIX": prefix,
        "NEWSFLOW_HTTP_HOST": "127.0.0.1",
        "NEWSFLOW_HTTP_PORT": str(port),
        "NEWSFLOW_CLAIM_INTERVAL_S": "0.5",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *command_of(STAGE_SERVICES["parser"])],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        client = redis.Redis.from_url(redis_url)
        with suppress(redis.ConnectionError):
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        client.close()


def healthcheck_passes_within(port: int, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the stage exited with {proc.returncode}"
        if run_healthcheck(port).returncode == 0:
            return True
        time.sleep(0.3)
    return False


@pytest.mark.e2e
def test_stage_healthcheck_passes_with_redis_and_fails_without(
    redis_url: str, tmp_path: Path
) -> None:
    # Nothing listens yet: the check fails rather than hanging.
    port = free_port()
    assert run_healthcheck(port).returncode != 0

    with running_parser(redis_url, port, tmp_path / "parser.log") as proc:
        assert healthcheck_passes_within(port, proc, 60), (tmp_path / "parser.log").read_text()

    # A stage whose Redis goes away is running but not ready: the check fails.
    private = PrivateRedis(tmp_path)
    private.start()
    port = free_port()
    try:
        with running_parser(private.url, port, tmp_path / "parser-private.log") as proc:
            assert healthcheck_passes_within(port, proc, 60)
            private.stop()
            result = run_healthcheck(port)
            assert proc.poll() is None, "the stage exited instead of reporting not ready"
            assert result.returncode != 0, "healthcheck passed without Redis"
            assert b"503" in result.stderr, result.stderr
    finally:
        private.stop()


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


# --- deploy/Dockerfile -----------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation"
    pairs = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"]
    return instructions[starts[-1] :]


def test_dockerfile_runs_as_a_user_that_is_not_root() -> None:
    instructions = dockerfile_instructions()
    bases = [
        arguments.split()[0] for instruction, arguments in instructions if instruction == "FROM"
    ]
    assert bases and set(bases) == {"python:3.11-slim"}, bases
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users, "the Dockerfile has no USER line"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, users[-1]
    # The user is created before it is used.
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert re.search(rf"useradd\b.*\b{re.escape(user)}\b", runs), f"{user} is never created"


def test_dockerfile_command_is_exec_form() -> None:
    instructions = dockerfile_instructions()
    commands = [
        arguments for instruction, arguments in instructions if instruction in {"CMD", "ENTRYPOINT"}
    ]
    assert commands, "the Dockerfile has neither CMD nor ENTRYPOINT"
    for arguments in commands:
        argv = json.loads(arguments)  # exec form: signals reach the process itself
        assert isinstance(argv, list)
        assert argv[0] in {"faststream", "newsflow"}, argv


def test_dockerfile_installs_the_project_without_dev_dependencies() -> None:
    instructions = dockerfile_instructions()
    environment = " ".join(
        arguments for instruction, arguments in instructions if instruction == "ENV"
    )
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", environment)
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert re.search(r"pip install (--\S+ )*/tmp/newsflow(\s|$)", runs), "project not installed"
    assert not re.search(r"\[(dev|test)\]", runs), "dev or test extras are installed"
    assert "requirements/models.txt" in runs
    assert re.search(r"if \[ -f \S*requirements/models\.txt \]", runs), "models.txt is required"
    workdirs = [arguments for instruction, arguments in instructions if instruction == "WORKDIR"]
    # The demo service runs `newsflow publish seeds/` from the working directory.
    copies = " ".join(
        arguments for instruction, arguments in instructions if instruction in {"RUN", "COPY"}
    )
    assert workdirs and f"{workdirs[-1].rstrip('/')}/seeds" in copies


def test_dockerfile_installs_in_a_builder_stage_and_copies_the_result() -> None:
    # The final image gets the installed packages, not pip's work: no source tree, no
    # wheels, no build tools in its layers.
    instructions = dockerfile_instructions()
    assert sum(instruction == "FROM" for instruction, _ in instructions) >= 2
    final = final_stage(instructions)
    final_runs = " ".join(arguments for instruction, arguments in final if instruction == "RUN")
    assert "pip install" not in final_runs
    assert not re.search(r"apt-get|gcc|build-essential", final_runs)
    copies = [arguments for instruction, arguments in final if instruction == "COPY"]
    assert any(arguments.startswith("--from=") for arguments in copies), copies
    assert not any(re.match(r"\.\s", arguments) for arguments in copies), "copies the context"


def test_dockerignore_keeps_local_state_out_and_the_build_inputs_in() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch(path, pattern) or fnmatch(path, pattern.removeprefix("**/"))
            for pattern in patterns
        )

    for path in (
        ".venv", ".git", ".pytest_cache", "newsflow.db", "data/x.db", ".env",
        "tests", "docs", "bench", ".ci",
    ):  # fmt: skip
        assert ignored(path), f"{path} would be sent to the Docker build"
    for path in ("pyproject.toml", "README.md", "shared", "services", "newsflow_cli", "seeds"):
        assert not ignored(path), f"{path} is needed by the build but ignored"
    assert not ignored("requirements"), "requirements/ is needed by the build but ignored"
