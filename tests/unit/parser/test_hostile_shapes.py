"""Input whose shape alone is hostile is refused before lxml sees it, each with its reason;
JSON nested past any article's needs is refused (content) or ignored (JSON-LD)."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from services.parser.parse import parse_event
from shared.errors import Rejected
from tests.unit.parser.conftest import REPO, bytes_event, text_event

MB = 1024 * 1024
_ARTICLE = (
    "<h1>Council approves the new bridge</h1>"
    + "<p>The city council voted on Tuesday to build a new bridge over the river. " * 8
    + "</p>"
) * 3


def _page(body: str, head: str = "<title>Council approves the new bridge</title>") -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def _refusal(data: bytes, content_type: str = "text/html") -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(Rejected) as caught:
        parse_event(bytes_event(data, content_type), max_bytes=20 * MB)
    return caught.value.reason, time.perf_counter() - started


def test_a_million_attributes_on_one_element_is_refused_in_well_under_a_second() -> None:
    attributes = " ".join(f"a{i}=1" for i in range(1_000_000))
    page = _page(f"<div {attributes}>{_ARTICLE}</div>")
    assert len(page) > 9 * MB
    reason, seconds = _refusal(page)
    assert reason == "too_many_attributes"
    assert seconds < 1.0


def test_attributes_without_values_count_too() -> None:
    attributes = " ".join(f"a{i}" for i in range(5_000))
    assert _refusal(_page(f"<div {attributes}>{_ARTICLE}</div>"))[0] == "too_many_attributes"


def test_long_attribute_values_are_not_many_attributes() -> None:
    # An inline image or a long style: one attribute, hundreds of kilobytes.
    value = "data:image/png;base64," + "QUJD " * 100_000
    event = bytes_event(_page(f'<img src="{value}" alt="a b c d e f">{_ARTICLE}'))
    article = parse_event(event, max_bytes=20 * MB).article
    assert article is not None and "new bridge" in article.text


def test_too_many_elements_are_refused() -> None:
    reason, seconds = _refusal(_page("<b>x</b>" * 400_000 + _ARTICLE))
    assert reason == "too_many_elements"
    assert seconds < 1.0


def test_nesting_a_hundred_thousand_deep_is_refused() -> None:
    reason, seconds = _refusal(_page("<div>" * 100_000 + _ARTICLE + "</div>" * 100_000))
    assert reason == "too_deep"
    assert seconds < 1.0


@pytest.mark.parametrize(
    "json_text",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000],
    ids=["arrays", "objects"],
)
def test_json_content_nested_past_the_limit_is_refused_at_once(json_text: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_event(text_event(json_text, "application/json"), max_bytes=20 * MB)
    assert caught.value.reason == "too_deep"


def test_an_article_with_a_too_deep_json_ld_block_is_still_parsed() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    head = (
        "<title>Council approves the new bridge</title>"
        '<meta property="article:published_time" content="2020-06-28T10:00:00Z">'
        f'<script type="application/ld+json">{deep}</script>'
    )
    article = parse_event(bytes_event(_page(_ARTICLE, head)), max_bytes=20 * MB).article
    assert article is not None
    assert "new bridge" in article.text
    assert article.published_at is not None and article.published_at.year == 2020


def _real_pages() -> list[Path]:
    corpus = REPO.parent.parent / "shared" / "corpus" / "mediacloud-2020" / "html"
    fixtures = [*(REPO / "tests" / "fixtures").rglob("*.html.gz"), *(REPO / "bench").rglob("*.gz")]
    return sorted(fixtures) + sorted(corpus.glob("*.html.gz"))


def test_no_real_page_is_refused_by_its_shape() -> None:
    from services.parser.limits import check_shape

    pages = _real_pages()
    assert len(pages) >= 15
    for path in pages:
        check_shape(gzip.decompress(path.read_bytes()))


def test_date_search_reads_only_the_head_of_a_huge_page() -> None:
    from lxml.html import document_fromstring  # type: ignore[import-untyped]

    from services.parser.page_dates import MAX_DATE_SEARCH_CHARS, page_dates

    filler = "<p>" + "words without any date in them " * 1000 + "</p>"
    padding = filler * (MAX_DATE_SEARCH_CHARS // len(filler) + 1)
    dated = "<p>Published 2019-03-14</p>"
    for body, expected in ((dated + padding, 2019), (padding + dated, None)):
        html = f"<html><head><title>t</title></head><body>{body}</body></html>"
        dates = page_dates(html, document_fromstring(html), None)
        year = dates.published_at.year if dates.published_at else None
        assert year == expected
