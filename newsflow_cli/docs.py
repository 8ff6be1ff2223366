"""`newsflow docs`: the files generated from code (event JSON Schema, AsyncAPI per service,
the api's OpenAPI document, deploy/monitoring/prometheus.yml), so they cannot drift from it:
tests regenerate them and compare. The names of the enricher's analyses come from its registry."""

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
from shared.scrape_config import CONFIG_PATH, render_scrape_config
from shared.settings import Settings

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


def openapi_document() -> bytes:
    """The api's OpenAPI document, as /openapi.json serves it."""
    # Imported here: the api's app is only built for this command.
    from services.api.app import build_api_app

    document = build_api_app(Settings.model_validate(_DOCS_ENV)).openapi()
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def generated_docs() -> dict[str, bytes]:
    """Every generated document, by its path under docs/."""
    docs = {
        "event.schema.json": render_schema(analysis_names()),
        "openapi.json": openapi_document(),
    }
    for stage in APP_MODULES:
        docs[f"asyncapi/{stage}.json"] = asyncapi_document(stage)
    return docs


def generated_files(docs_dir: Path) -> dict[Path, bytes]:
    """Every generated file by where it goes: the documents under `docs_dir`, and the
    monitoring profile's Prometheus config beside the deploy files it belongs to."""
    files = {docs_dir / name: content for name, content in generated_docs().items()}
    files[CONFIG_PATH] = render_scrape_config()
    return files


def write_generated_files(docs_dir: Path) -> list[Path]:
    written = []
    for path, content in generated_files(docs_dir).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def regenerate_docs(out: Path) -> None:
    """`newsflow docs`: write every generated file (the documents under `out`), naming each."""
    for path in write_generated_files(out):
        err.print(f"wrote {path}")
