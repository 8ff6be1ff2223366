"""The JSON Schema of the events, generated from shared/events.py, and its committed file
(`newsflow docs` rewrites it, with the enricher's analysis names from its registry)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from pydantic.json_schema import models_json_schema

from shared.events import ArticleEvent, DeadLetter, RawSubmission

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "event.schema.json"


def render_schema(analysis_names: Sequence[str]) -> bytes:
    return (
        orjson.dumps(
            event_json_schema(analysis_names), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        )
        + b"\n"
    )


def event_json_schema(analysis_names: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of every public document, as committed to docs/."""
    _, schema = models_json_schema(
        [
            (RawSubmission, "validation"),
            (ArticleEvent, "serialization"),
            (DeadLetter, "serialization"),
        ],
        title="newsflow events",
    )
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return with_analysis_names(document, analysis_names)


def with_analysis_names(document: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """A schema document whose `AnalysisRun.name` lists the enricher's analyses.

    The model keeps a plain string (an older consumer must not reject a newer enricher's
    analysis); the generator of the docs, which may import the registry, passes the names.
    """
    for value in document.values():
        if isinstance(value, dict):
            run = value.get("AnalysisRun")
            if isinstance(run, dict) and "name" in run.get("properties", {}):
                run["properties"]["name"]["enum"] = list(names)
            with_analysis_names(value, names)
    return document
