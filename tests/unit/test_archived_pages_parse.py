"""An archived page through the fetcher's and the parser's own functions (no Redis): its
charset decided from its bytes and the charset its response declared, as for a page
downloaded now, and its capture time kept as a hint that never becomes its date."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow_cli.import_archives import record_outcome
from newsflow_cli.warc_records import ReadRecord, read_archive
from services.fetcher.intake import event_from_bytes
from services.parser.parse import parse_event
from shared.errors import Rejected
from shared.events import RawSubmission, article_id_for_url
from shared.urls import normalize_url
from tests.warc_archives import CODINGS, ArchiveWriter, write_archive

MAX_BYTES = 5_000_000


def archived(path: Path) -> list[RawSubmission]:
    return [
        item.outcome
        for item in read_archive(path, record_outcome(MAX_BYTES, None))
        if isinstance(item, ReadRecord) and isinstance(item.outcome, RawSubmission)
    ]


def test_each_coding_parses_to_the_page_with_its_own_date(tmp_path: Path) -> None:
    path = tmp_path / "pages.warc.gz"
    pages = write_archive(path, pages=len(CODINGS))
    for page, submission in zip(pages, archived(path), strict=True):
        # As it travels: JSON on the raw stream, then the fetcher, then the parser.
        submission = RawSubmission.model_validate_json(submission.to_json())
        event = event_from_bytes(submission, max_bytes=MAX_BYTES)
        assert event.id == article_id_for_url(normalize_url(page.url))
        assert event.source.url == normalize_url(page.url)
        assert event.source.via == "archive"
        hints = (event.source.model_extra or {})["hints"]
        assert hints == {"captured_at": datetime(2024, 5, 1, 12, tzinfo=UTC)}
        parsed = parse_event(event, max_bytes=MAX_BYTES)
        article = parsed.article
        assert article is not None
        assert (article.title or "").startswith(page.page.title_start), page.coding
        assert article.published_at is not None
        assert article.published_at.date() == page.page.published, page.coding
        if page.coding == "cp1251":
            assert parsed.raw.encoding == "cp1251"


def test_a_page_without_a_date_gets_none_not_its_capture_time(tmp_path: Path) -> None:
    path = tmp_path / "undated.warc"
    html = (
        "<html><head><title>An undated note</title></head><body><article>"
        + "<p>A paragraph of text that says nothing about when it was written. </p>" * 20
        + "</article></body></html>"
    ).encode()
    with path.open("wb") as file:
        ArchiveWriter(file, gzipped=False).response(
            "https://example.com/note.html", html, [("Content-Type", "text/html")]
        )
    [submission] = archived(path)
    assert submission.hint_captured_at is not None
    parsed = parse_event(event_from_bytes(submission, max_bytes=MAX_BYTES), max_bytes=MAX_BYTES)
    assert parsed.article is not None
    assert parsed.article.title == "An undated note"
    assert parsed.article.published_at is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"url": "https://example.com/a", "content_b64": "not base64!"}, "invalid_content"),
        ({"url": "page.html", "content_b64": "PGh0bWw+"}, "invalid_url"),
        (
            {"url": "https://example.com/a", "content_b64": base64.b64encode(b"x" * 100).decode()},
            "too_large",
        ),
    ],
)
def test_bad_bytes_are_refused_with_a_reason(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(Rejected) as refused:
        event_from_bytes(RawSubmission.model_validate(fields), max_bytes=50)
    assert refused.value.reason == reason
