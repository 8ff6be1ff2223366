"""One detector decides what a document is; the fetcher passes on only what was declared."""

from __future__ import annotations

import pytest

from services.fetcher.intake import event_from_content
from services.parser.parse import parse_event
from shared.errors import Rejected
from shared.events import RawSubmission
from shared.media_type import DocumentShape, document_shape, media_type_of

# Scraped plain text that mentions a tag: the fetcher used to label it text/html (a `<p>`
# in its first kilobyte), while the parser, asked unlabelled, reads it as text.
TEXT_WITH_A_TAG = (
    "Kyiv, 5 May. The city council met on Tuesday to discuss the new budget.\n\n"
    "Its web editor wrote that every paragraph of the site starts with <p> and ends with "
    "</p>, which is why the old pages looked broken.\n\n"
    "The council will meet again next week to vote on the budget and the repairs."
)


def test_unlabelled_content_leaves_the_fetcher_without_a_type() -> None:
    event = event_from_content(RawSubmission(content=TEXT_WITH_A_TAG), max_bytes=10_000)
    assert event.raw.content_type is None
    assert b"content_type" not in event.to_json()


def test_a_declared_type_is_kept_without_its_parameters() -> None:
    submission = RawSubmission(content=TEXT_WITH_A_TAG, content_type="Text/HTML; charset=UTF-8")
    event = event_from_content(submission, max_bytes=10_000)
    assert event.raw.content_type == "text/html"


def test_text_mentioning_a_tag_is_parsed_as_text_end_to_end() -> None:
    fetched = event_from_content(RawSubmission(content=TEXT_WITH_A_TAG), max_bytes=10_000)
    article = parse_event(fetched, max_bytes=10_000).article
    assert article is not None
    assert article.extractor == "plaintext"
    assert "<p>" in article.text


def test_the_same_text_labelled_html_finds_no_article() -> None:
    """What the fetcher's old label did to such a text: read as HTML, nothing was left. A
    declared type still counts where the text's start does not decide."""
    submission = RawSubmission(content=TEXT_WITH_A_TAG, content_type="text/html")
    with pytest.raises(Rejected) as caught:
        parse_event(event_from_content(submission, max_bytes=10_000), max_bytes=10_000)
    assert caught.value.reason == "no_text"


@pytest.mark.parametrize(
    ("text", "declared", "shape"),
    [
        (TEXT_WITH_A_TAG, None, "text"),
        (TEXT_WITH_A_TAG, "text/plain", "text"),
        (TEXT_WITH_A_TAG, "text/html", "html"),
        ("\ufeff  <!DOCTYPE html><html><body><p>x</p></body></html>", None, "html"),
        ("<p>Served as plain text</p>", "text/plain", "html"),
        ('{"title": "t", "text": "x"}', "text/html", "json"),
        ("[Reuters] A wire story that starts with a bracket.", None, "text"),
        ('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', None, "xml"),
        ("<entry xmlns='http://www.w3.org/2005/Atom'><title>t</title></entry>", None, "xml"),
        ('<?xml version="1.0"?><html><body><p>x</p></body></html>', "text/html", "html"),
        ("plain words", "application/json", "json"),
    ],
)
def test_document_shape(text: str, declared: str | None, shape: DocumentShape) -> None:
    assert document_shape(text, declared) == shape


def test_a_declared_type_that_is_no_text_is_refused() -> None:
    with pytest.raises(Rejected) as caught:
        document_shape("plain words", "application/pdf")
    assert caught.value.reason == "unsupported_type"


@pytest.mark.parametrize(
    ("header", "media_type"),
    [(None, None), ("", None), (" ; charset=utf-8", None), ("Text/Plain;q=1", "text/plain")],
)
def test_media_type_of(header: str | None, media_type: str | None) -> None:
    assert media_type_of(header) == media_type
