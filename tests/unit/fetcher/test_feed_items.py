from __future__ import annotations

from datetime import UTC, datetime

from services.fetcher.feed_items import MAX_ITEMS, parse_feed

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Daily &amp; News</title>
<item><title>One</title><link>/news/one</link><pubDate>Tue, 03 Nov 2026 10:00:00 +0100</pubDate>
<description>&lt;p&gt;The &lt;b&gt;first&lt;/b&gt; story&lt;/p&gt;</description></item>
<item><title>No link</title><description>nothing to fetch</description></item>
<item><title>Guid only</title><guid isPermaLink="true">https://news.example/guid</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>
<entry><title>Atomic</title><link href="https://news.example/atomic"/><id>urn:x</id>
<updated>2026-11-02T08:30:00Z</updated><summary>Short</summary></entry></feed>"""


def test_rss_items_with_relative_links_dates_and_summaries() -> None:
    feed = parse_feed(RSS, "https://news.example/feed.xml")
    assert feed.title == "Daily & News"
    assert [item.url for item in feed.items] == [
        "https://news.example/news/one",
        "https://news.example/guid",
    ]
    one = feed.items[0]
    assert one.title == "One"
    assert one.published_at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert one.summary == "The first story"


def test_atom_entries() -> None:
    feed = parse_feed(ATOM, "https://news.example/atom")
    assert feed.title == "Atom News"
    (item,) = feed.items
    assert item.url == "https://news.example/atomic"
    assert item.published_at == datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    assert item.summary == "Short"


def test_not_a_feed_has_no_items() -> None:
    assert parse_feed(b"<html><body>hello</body></html>", "https://x.example/").items == []


def test_a_date_past_what_a_datetime_holds_leaves_only_its_item_undated() -> None:
    # In UTC these are in years 10000 and 0: every other item of the feed must survive.
    feed = parse_feed(
        b"""<rss version="2.0"><channel><title>Far</title>
<item><link>https://news.example/late</link><pubDate>9999-12-31T23:59:59-12:00</pubDate></item>
<item><link>https://news.example/early</link><pubDate>0001-01-01T00:00:00+14:00</pubDate></item>
<item><link>https://news.example/fine</link><pubDate>Tue, 03 Nov 2026 10:00:00 +0100</pubDate>
</item></channel></rss>""",
        "https://news.example/feed.xml",
    )
    assert [(item.url.rsplit("/", 1)[1], item.published_at) for item in feed.items] == [
        ("late", None),
        ("early", None),
        ("fine", datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
    ]


def test_only_the_first_max_items_are_kept() -> None:
    items = "".join(
        f"<item><link>https://news.example/{n}</link></item>" for n in range(MAX_ITEMS + 50)
    )
    feed = parse_feed(
        f"<rss><channel><title>Long</title>{items}</channel></rss>".encode(),
        "https://news.example/feed.xml",
    )
    assert len(feed.items) == MAX_ITEMS
    assert feed.items[0].url == "https://news.example/0"
    assert feed.items[-1].url == f"https://news.example/{MAX_ITEMS - 1}"
