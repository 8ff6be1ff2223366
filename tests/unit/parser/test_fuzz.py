"""Property: whatever arrives, the parser returns an article or raises `Rejected`, and does
so in bounded time. Bytes, text, JSON-ish and XML-ish noise, and real pages cut short."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.parser.parse import parse_event
from shared.errors import Rejected
from shared.events import ArticleEvent
from tests.unit.parser.conftest import bytes_event, html_fixture, text_event

# Per document: far above any real page's parse time, far below a hang.
MAX_SECONDS = 10.0
PAGES = [
    html_fixture(name)
    for name in ("mk_ru_cyrillic", "mynet_turkish", "goo_japanese", "sn_dk_misdeclared_charset")
]
CONTENT_TYPES = st.sampled_from(
    [None, "text/html", "text/plain", "application/json", "application/xml", "application/rss+xml"]
)
FUZZ = settings(
    max_examples=150,
    deadline=None,  # timed below instead: the first call also warms htmldate's caches
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _parses_or_rejects(event: ArticleEvent) -> None:
    started = time.perf_counter()
    try:
        result = parse_event(event, max_bytes=2_000_000)
    except Rejected as rejected:
        assert rejected.reason and rejected.reason == rejected.reason.strip()
    else:
        assert result.article is not None
        assert result.article.text.strip()
    assert time.perf_counter() - started < MAX_SECONDS


@pytest.fixture(scope="module", autouse=True)
def _warm_up() -> None:
    parse_event(bytes_event(PAGES[0]), max_bytes=2_000_000)


@FUZZ
@given(data=st.binary(max_size=4096), content_type=CONTENT_TYPES)
def test_arbitrary_bytes(data: bytes, content_type: str | None) -> None:
    _parses_or_rejects(bytes_event(data, content_type))


@FUZZ
@given(text=st.text(max_size=2000), content_type=CONTENT_TYPES)
def test_arbitrary_text(text: str, content_type: str | None) -> None:
    if not text.strip():
        return  # RawSubmission refuses empty content before it becomes an event
    _parses_or_rejects(text_event(text, content_type))


MARKUP = st.lists(
    st.sampled_from(
        [
            "<html>", "<body>", "<p>", "</p>", "<div>", "<h1>", "</h1>", "<item>", "<rss>",
            "<feed>", "<![CDATA[", "]]>", "<!--", "-->", "<script>", "{", '"text":', "}",
            "<meta charset='koi8-r'>", "&amp;", "&#0;", "\x00", "date 2025-04-28", "•",
            "Kyiv • UNN", "3054 views", "WarNews of the World", "\n\n", "<?xml version='1.0'?>",
        ]
    )
    | st.text(max_size=40),
    max_size=60,
).map("".join)  # fmt: skip


@FUZZ
@given(text=MARKUP, content_type=CONTENT_TYPES)
def test_markup_soup(text: str, content_type: str | None) -> None:
    if not text.strip():
        return
    _parses_or_rejects(text_event(text, content_type))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page=st.sampled_from(PAGES),
    cut=st.floats(min_value=0.0, max_value=1.0),
    content_type=st.sampled_from(["text/html", None]),
)
def test_truncated_real_pages(page: bytes, cut: float, content_type: str | None) -> None:
    # Cutting bytes can split a multi-byte character: the decoder must cope with that too.
    truncated = page[: int(len(page) * cut)] or b"<"
    _parses_or_rejects(bytes_event(truncated, content_type))
