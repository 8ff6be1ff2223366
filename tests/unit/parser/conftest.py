"""Helpers for the parser's unit tests: events built from fixtures, no servers."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest

from shared.events import ArticleEvent, Raw, Source

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
SEED = next(iter(sorted((REPO / "seeds").glob("*.txt"))))


def bytes_event(
    data: bytes, content_type: str | None = "text/html", url: str | None = None
) -> ArticleEvent:
    return ArticleEvent(
        id="test",
        trace_id="trace",
        source=Source(url=url),
        raw=Raw(content_type=content_type, content_b64=base64.b64encode(data).decode()),
    )


def text_event(text: str, content_type: str | None, url: str | None = None) -> ArticleEvent:
    return ArticleEvent(
        id="test",
        trace_id="trace",
        source=Source(url=url),
        raw=Raw(content_type=content_type, content=text),
    )


def html_fixture(name: str) -> bytes:
    return gzip.decompress((FIXTURES / "html" / f"{name}.html.gz").read_bytes())


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")
