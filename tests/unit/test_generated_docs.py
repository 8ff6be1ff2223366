"""docs/ holds what the code generates; regenerate with `newsflow docs` after a change."""

from __future__ import annotations

import pytest

from newsflow_cli.docs import generated_docs
from shared.pipeline import STAGE_NAMES
from tests.conftest import REPO


def test_committed_docs_match_the_code() -> None:
    stale = [
        name
        for name, content in generated_docs().items()
        if not (REPO / "docs" / name).exists() or (REPO / "docs" / name).read_bytes() != content
    ]
    assert not stale, f"docs/ is stale ({', '.join(stale)}): run `newsflow docs`"


def test_the_asyncapi_documents_carry_the_event_schema() -> None:
    parser = generated_docs()["asyncapi/parser.json"].decode()
    assert '"ArticleEvent"' in parser and '"DeadLetter"' in parser
    assert '"newsflow:parsed"' in parser and '"newsflow:fetched"' in parser


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_stage_has_a_document(stage: str) -> None:
    assert (REPO / "docs" / "asyncapi" / f"{stage}.json").exists()
