"""Feed links found in a home page (the page as our client fetched it)."""

from __future__ import annotations

from services.fetcher.discovery import feed_links_in_page, origin_of


def test_link_rel_alternate_feeds_come_first_and_resolve_against_the_page() -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        '<link rel="alternate" type="application/atom+xml; charset=utf-8" '
        'href="https://news.example/atom.xml">'
        '<link rel="alternate" hreflang="de" href="https://news.example/de/">'
        '</head><body><a href="/rss/sport.xml">Sport RSS</a></body></html>'
    )
    assert feed_links_in_page(html, "https://news.example/") == [
        "https://news.example/feed.xml",
        "https://news.example/atom.xml",
    ]


def test_without_link_elements_feed_like_anchors_are_taken() -> None:
    html = '<html><body><a href="/rss/sport.xml">Sport</a><a href="/about">About</a></body></html>'
    assert feed_links_in_page(html, "http://127.0.0.1:8080/") == [
        "http://127.0.0.1:8080/rss/sport.xml"
    ]


def test_a_page_without_feeds_gives_none() -> None:
    assert feed_links_in_page("<html><body><p>hello</p></body></html>", "https://a.example/") == []
    assert feed_links_in_page("", "https://a.example/") == []


def test_origin() -> None:
    assert origin_of("https://News.Example:8443/path?q=1") == "https://news.example:8443"
