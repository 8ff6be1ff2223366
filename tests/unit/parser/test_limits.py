"""What is refused, why, and how fast: size, binary bodies, whole feeds and sitemaps."""

from __future__ import annotations

import time

import pytest

from services.parser.parse import parse_event
from shared.errors import Rejected
from tests.unit.parser.conftest import bytes_event, text_event

MB = 1024 * 1024


def _reason(
    event_bytes: bytes, content_type: str | None = "text/html", max_bytes: int = 10 * MB
) -> str:
    with pytest.raises(Rejected) as caught:
        parse_event(bytes_event(event_bytes, content_type), max_bytes=max_bytes)
    return caught.value.reason


def test_over_the_size_limit_is_rejected_before_parsing() -> None:
    body = b"<html><body>" + b"<p>word</p>" * (2 * MB // 11) + b"</body></html>"
    started = time.perf_counter()
    assert _reason(body, max_bytes=1 * MB) == "too_large"
    assert time.perf_counter() - started < 1.0


def test_size_limit_applies_to_text_content_too() -> None:
    with pytest.raises(Rejected) as caught:
        parse_event(text_event("x" * 2000, "text/plain"), max_bytes=1000)
    assert caught.value.reason == "too_large"


@pytest.mark.parametrize(
    "head",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x06\x00",
        b"\x00\x00\x00\x18ftypmp42",
    ],
    ids=["pdf", "png", "jpeg", "gif", "zip", "mp4"],
)
def test_binary_bodies_are_rejected_by_their_magic(head: bytes) -> None:
    assert _reason(head + bytes(range(256)) * 40) == "binary_content"


def test_random_binary_is_rejected() -> None:
    noise = bytes((i * 7919 + 13) % 256 for i in range(50_000))
    assert _reason(noise, content_type=None) == "binary_content"


def test_ten_megabytes_of_binary_are_rejected_quickly() -> None:
    started = time.perf_counter()
    assert _reason(b"\x00\x01\x02\x03" * (10 * MB // 4), content_type=None) == "binary_content"
    assert time.perf_counter() - started < 1.0


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>One</title><link>https://example.com/1</link></item>
<item><title>Two</title><link>https://example.com/2</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><title>One</title></entry></feed>"""
SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://example.com/a</loc></url></urlset>"""
SITEMAP_INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://example.com/s1.xml</loc></sitemap></sitemapindex>"""


@pytest.mark.parametrize(
    "body", [RSS, ATOM, SITEMAP, SITEMAP_INDEX], ids=["rss", "atom", "sitemap", "index"]
)
@pytest.mark.parametrize("content_type", ["text/html", "application/xml", None])
def test_feeds_and_sitemaps_are_not_articles(body: bytes, content_type: str | None) -> None:
    assert _reason(body, content_type) == "feed_not_article"


def test_unknown_binary_type_is_unsupported() -> None:
    assert (
        _reason(b"just some words of text here", "application/octet-stream") == "unsupported_type"
    )


def test_invalid_base64_is_rejected() -> None:
    event = bytes_event(b"x")
    event.raw.content_b64 = "not base64 at all!!"
    with pytest.raises(Rejected) as caught:
        parse_event(event, max_bytes=MB)
    assert caught.value.reason == "invalid_content"


def test_huge_single_line_text_parses_in_bounded_time() -> None:
    """No regex of the plain-text rules may go quadratic on one enormous line."""
    text = ("word " * 400_000).strip()
    started = time.perf_counter()
    article = parse_event(text_event(text, "text/plain"), max_bytes=10 * MB).article
    assert article is not None
    assert time.perf_counter() - started < 5.0


def test_a_dump_of_many_lines_is_rejected_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(Rejected) as caught:
        parse_event(text_event("1 1\n" * 2_000_000, "text/plain"), max_bytes=10 * MB)
    assert caught.value.reason == "too_many_paragraphs"
    assert time.perf_counter() - started < 5.0
