""".env.example documents every setting: a new `Settings` field fails here until it is listed.

Each variable is a `NAME=default` line (or `# NAME=` when there is no fixed default) with
a comment above it saying what it does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic.fields import FieldInfo

from shared.settings import Settings

REPO = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = REPO / ".env.example"

_ASSIGNMENT = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def env_name(name: str, field: FieldInfo) -> str:
    """The variable a field is read from: its alias, else the prefixed, upper-cased name."""
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return f"{Settings.model_config.get('env_prefix', '')}{name}".upper()


SETTINGS_VARIABLES = {env_name(name, field): name for name, field in Settings.model_fields.items()}


def documented() -> dict[str, tuple[bool, list[str]]]:
    """Variable -> (commented out?, the comment above it or above its block of variables)."""
    variables: dict[str, tuple[bool, list[str]]] = {}
    comment: list[str] = []
    in_block = False  # a comment may explain several variables that follow it
    for raw_line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if match := _ASSIGNMENT.match(line):
            name = match.group("name")
            assert name not in variables, f"{name} is listed twice in .env.example"
            variables[name] = (match.group("commented") is not None, comment)
            in_block = True
        elif line.startswith("#"):
            comment = [*([] if in_block else comment), line.lstrip("#").strip()]
            in_block = False
        else:
            comment, in_block = [], False
    return variables


def test_every_setting_is_in_env_example() -> None:
    missing = sorted(set(SETTINGS_VARIABLES) - set(documented()))
    assert not missing, f"add these Settings fields to .env.example: {missing}"


def test_env_example_lists_no_setting_that_is_gone() -> None:
    prefix = Settings.model_config.get("env_prefix", "")
    stale = sorted(
        name for name in documented() if name.startswith(prefix) and name not in SETTINGS_VARIABLES
    )
    assert not stale, f".env.example lists variables Settings no longer reads: {stale}"


def test_every_variable_is_explained() -> None:
    unexplained = sorted(name for name, (_, comment) in documented().items() if not comment)
    assert not unexplained, f"these variables have no comment above them: {unexplained}"


def test_env_example_values_are_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer's .env
    from_file = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    defaults = Settings()

    active = {name for name, (commented, _) in documented().items() if not commented}
    for variable, field_name in SETTINGS_VARIABLES.items():
        field = Settings.model_fields[field_name]
        if variable in active:
            assert getattr(from_file, field_name) == getattr(defaults, field_name), (
                f"{variable} in .env.example is not the default of Settings.{field_name}"
            )
        else:
            # Only a setting without a fixed default may be left commented out.
            assert field.default_factory is not None or field.default is None, (
                f"{variable} has a default ({field.default!r}): write it in .env.example"
            )
