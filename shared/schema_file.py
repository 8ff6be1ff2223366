"""The committed JSON Schema file of the events (`newsflow docs` rewrites it, with the
enricher's analysis names from its registry)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson

from shared.events import event_json_schema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "event.schema.json"


def render_schema(analysis_names: Sequence[str]) -> bytes:
    return (
        orjson.dumps(
            event_json_schema(analysis_names), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        )
        + b"\n"
    )
