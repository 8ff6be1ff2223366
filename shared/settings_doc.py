"""The settings table of README, from `Settings` itself: `python -m shared.settings_doc`."""

from __future__ import annotations

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from shared.settings import Settings


def env_name(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    return alias if isinstance(alias, str) else f"NEWSFLOW_{name.upper()}"


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "(per process)"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "(unset)"
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return f"`{value}`"


def render_settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{env_name(name, field)}` | {_default(field)} | {description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(render_settings_table())  # noqa: T201
