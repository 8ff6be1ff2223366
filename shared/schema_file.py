"""The committed JSON Schema file of the events: `python -m shared.schema_file` rewrites it."""

from __future__ import annotations

from pathlib import Path

import orjson

from shared.events import event_json_schema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "event.schema.json"


def render_schema() -> bytes:
    return (
        orjson.dumps(event_json_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )


def main() -> None:
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_bytes(render_schema())


if __name__ == "__main__":
    main()
