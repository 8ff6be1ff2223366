"""docker-compose.yml read as data, for the tests that check it without a Docker engine
(tests/test_compose_*.py, tests/test_dockerfile.py, tests/test_monitoring.py): its services,
grouped by what they run, and what compose makes of their commands and environments."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from shared.settings import Settings

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
