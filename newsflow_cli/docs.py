"""`newsflow docs`: the documents generated from code (event JSON Schema, AsyncAPI per
service), so they cannot drift from it: a test regenerates them and compares. The names of
the enricher's analyses come from its registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from newsflow_cli.console import err
from newsflow_cli.supervisor import APP_MODULES
from services.enricher.registry import analysis_names
from shared.schema_file import render_schema, with_analysis_names

# Fixed values for what would otherwise differ per machine or process (the consumer name
# is hostname-pid), so the documents only change when the code does.
_DOCS_ENV = {
    "REDIS_URL": "redis://localhost:6379/0",
    "NEWSFLOW_STREAM_PREFIX": "newsflow",
    "DATABASE_URL": "",
}


def asyncapi_document(stage: str) -> bytes:
    """`faststream docs gen` of one stage's app, in its own process as a user runs it."""
    env = {**os.environ, **_DOCS_ENV, "NEWSFLOW_CONSUMER_NAME": stage}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "asyncapi.json"
        subprocess.run(
            [sys.executable, "-m", "faststream", "docs", "gen", APP_MODULES[stage],
             "--out", str(out)],
            env=env, capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        document = with_analysis_names(
            json.loads(out.read_text(encoding="utf-8")), analysis_names()
        )
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def generated_docs() -> dict[str, bytes]:
    """Every generated document, by its path under docs/."""
    docs = {"event.schema.json": render_schema(analysis_names())}
    for stage in APP_MODULES:
        docs[f"asyncapi/{stage}.json"] = asyncapi_document(stage)
    return docs


def write_docs(out: Path) -> list[Path]:
    written = []
    for name, content in generated_docs().items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def regenerate_docs(out: Path) -> None:
    """`newsflow docs`: write every generated document under `out`, naming each."""
    for path in write_docs(out):
        err.print(f"wrote {path}")
