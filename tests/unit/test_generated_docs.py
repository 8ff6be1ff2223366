"""docs/ (and deploy/monitoring/prometheus.yml) hold what the code generates; regenerate with
`newsflow docs` after a change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsflow_cli.docs import generated_docs, generated_files
from shared.pipeline import STAGE_NAMES
from shared.scrape_config import CONFIG_PATH, render_scrape_config
from tests.conftest import REPO


@pytest.fixture(scope="module")
def docs() -> dict[str, bytes]:
    """The generated documents, made once: a making runs `faststream docs gen` once per stage
    (7 s here)."""
    return generated_docs()


def test_committed_docs_match_the_code(docs: dict[str, bytes]) -> None:
    stale = [
        name
        for name, content in docs.items()
        if not (REPO / "docs" / name).exists() or (REPO / "docs" / name).read_bytes() != content
    ]
    assert not stale, f"docs/ is stale ({', '.join(stale)}): run `newsflow docs`"


def test_the_asyncapi_documents_carry_the_event_schema(docs: dict[str, bytes]) -> None:
    parser = docs["asyncapi/parser.json"].decode()
    assert '"ArticleEvent"' in parser and '"DeadLetter"' in parser
    assert '"newsflow:parsed"' in parser and '"newsflow:fetched"' in parser


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_stage_has_a_document(stage: str) -> None:
    assert (REPO / "docs" / "asyncapi" / f"{stage}.json").exists()


def test_newsflow_docs_also_generates_the_prometheus_config(
    docs: dict[str, bytes], tmp_path: Path
) -> None:
    files = generated_files(tmp_path)
    assert files[CONFIG_PATH] == render_scrape_config()
    assert CONFIG_PATH == REPO / "deploy" / "monitoring" / "prometheus.yml"
    assert set(files) - {CONFIG_PATH} == {tmp_path / name for name in docs}


def test_the_openapi_document_names_every_endpoint(docs: dict[str, bytes]) -> None:
    document = json.loads(docs["openapi.json"])
    paths = document["paths"]
    for path in (
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/counts",
        "/api/top/{facet}",
        "/api/export",
        "/api/stream",
        "/health/ready",
    ):
        assert path in paths, path
    assert "post" in paths["/api/articles"] and "get" in paths["/api/articles"]
    names = {parameter["name"] for parameter in paths["/api/articles"]["get"]["parameters"]}
    assert {"q", "from", "to", "country", "entity", "topic", "sort", "limit", "cursor"} <= names
