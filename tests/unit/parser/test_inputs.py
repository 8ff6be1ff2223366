"""Articles another tool already structured: JSON documents and RSS/Atom items."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.parser.parse import parse_event
from shared.errors import Rejected
from tests.unit.parser.conftest import bytes_event, text_event


def _article(content: str, content_type: str | None = "application/json"):  # type: ignore[no-untyped-def]
    article = parse_event(text_event(content, content_type), max_bytes=10**7).article
    assert article is not None
    return article


def test_json_article_with_common_field_names() -> None:
    article = _article(
        json.dumps(
            {
                "headline": "Council approves budget",
                "body": "The council approved the budget on Monday.\n\nIt passed 7 to 2.",
                "byline": "By Jane Doe and John Roe",
                "datePublished": "2024-06-03T18:00:00Z",
                "url": "https://example.com/budget",
                "keywords": "budget, council",
                "lang": "en-GB",
                "source": {"name": "Example Times"},
            }
        )
    )
    assert article.title == "Council approves budget"
    assert article.text == "The council approved the budget on Monday.\n\nIt passed 7 to 2."
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.published_at == datetime(2024, 6, 3, 18, 0, tzinfo=UTC)
    assert article.canonical_url == "https://example.com/budget"
    assert article.tags == ["budget", "council"]
    assert article.language == "en"
    assert article.publisher == "Example Times"
    assert article.extractor == "json"


def test_json_ld_article_inside_a_graph_with_html_body() -> None:
    article = _article(
        json.dumps(
            {
                "@context": "https://schema.org",
                "@graph": [
                    {"@type": "WebSite", "name": "Example"},
                    {
                        "@type": "NewsArticle",
                        "name": "Storm closes port",
                        "articleBody": "<p>The port closed on Friday as the storm hit.</p>"
                        "<p>Ferries will resume on Sunday, the operator said.</p>",
                        "author": [{"@type": "Person", "name": "Ana Lima"}],
                        "date_published": 1717430400,
                    },
                ],
            }
        )
    )
    assert article.title == "Storm closes port"
    assert article.text.split("\n\n") == [
        "The port closed on Friday as the storm hit.",
        "Ferries will resume on Sunday, the operator said.",
    ]
    assert article.authors == ["Ana Lima"]
    assert article.published_at == datetime(2024, 6, 3, 16, 0, tzinfo=UTC)


def test_json_detected_by_shape_when_declared_as_text() -> None:
    article = _article('{"title": "T", "text": "Body of the story here."}', "text/plain")
    assert article.extractor == "json"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('{"title": "x", "text": ', "invalid_json"),
        ('{"id": 5, "status": "ok"}', "not_an_article"),
        ('{"title": "Only a title"}', "no_text"),
    ],
)
def test_json_that_is_not_an_article(document: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_event(text_event(document, "application/json"), max_bytes=10**6)
    assert caught.value.reason == reason


RSS_ITEM = """<item xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:media="http://search.yahoo.com/mrss/">
  <title>Museum reopens its east wing</title>
  <link>https://example.com/museum</link>
  <description><![CDATA[<p>The museum's east wing reopened on Saturday after a
  two-year renovation.</p><p>Entry is free for the first week.</p>]]></description>
  <pubDate>Sat, 04 May 2024 09:15:00 +0200</pubDate>
  <dc:creator>Maria Kowalska</dc:creator>
  <category>Culture</category><category>Local</category>
  <media:content url="https://example.com/wing.jpg" medium="image"/>
</item>"""

ATOM_ENTRY = """<entry xmlns="http://www.w3.org/2005/Atom">
  <title>Rail strike called off</title>
  <link rel="alternate" href="https://example.com/strike"/>
  <updated>2024-05-06T12:00:00Z</updated>
  <published>2024-05-06T08:00:00Z</published>
  <author><name>Tomas Berg</name></author>
  <summary>Unions called off Monday's rail strike after a late offer.</summary>
  <category term="Transport"/>
</entry>"""


def test_rss_item_with_html_summary() -> None:
    article = _article(RSS_ITEM, "application/rss+xml")
    assert article.title == "Museum reopens its east wing"
    assert article.text.split("\n\n") == [
        "The museum's east wing reopened on Saturday after a two-year renovation.",
        "Entry is free for the first week.",
    ]
    assert article.canonical_url == "https://example.com/museum"
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2024-05-04T09:15:00+02:00"
    assert article.authors == ["Maria Kowalska"]
    assert article.categories == ["Culture", "Local"]
    assert article.image_url == "https://example.com/wing.jpg"


def test_atom_entry_detected_without_a_content_type() -> None:
    article = parse_event(bytes_event(ATOM_ENTRY.encode(), None), max_bytes=10**6).article
    assert article is not None
    assert article.title == "Rail strike called off"
    assert article.text == "Unions called off Monday's rail strike after a late offer."
    assert article.published_at == datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    assert article.modified_at == datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
    assert article.authors == ["Tomas Berg"]
    assert article.canonical_url == "https://example.com/strike"


def test_xml_entities_are_not_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE item [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<item><title>x</title><description>&b;&b;&b; and some real words</description></item>"
    )
    article = _article(bomb, "application/xml")
    assert "aaaaaaaaaa" not in article.text
