"""Reading sitemap documents: indexes, urlsets with Google News fields, text sitemaps, and
the hostile ones refused with a reason."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from services.fetcher.sitemap_xml import (
    MAX_ENTRIES,
    decompressed,
    parse_sitemap,
    w3c_datetime,
)
from shared.errors import Rejected
from tests.bombs import gzip_of_zeros

BASE = "https://news.example/sitemap.xml"
MB = 1024 * 1024

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/s/news.xml</loc><lastmod>2026-11-20T08:00:00+02:00</lastmod></sitemap>
  <sitemap><loc>/s/archive.xml.gz</loc></sitemap>
  <sitemap><loc>javascript:alert(1)</loc></sitemap>
</sitemapindex>"""

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://news.example/a/1</loc>
    <image:image><image:loc>https://news.example/i.jpg</image:loc>
      <image:title>An image</image:title></image:image>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>UK</news:language>
      </news:publication>
      <news:publication_date>2026-11-20T10:30:00Z</news:publication_date>
      <news:title>Київ: перша новина &amp; друга</news:title>
    </news:news>
  </url>
  <url><loc>https://news.example/a/2</loc><lastmod>2026-11-19</lastmod></url>
</urlset>""".encode()


def test_an_index_lists_its_sitemaps_with_lastmod() -> None:
    document = parse_sitemap(INDEX, BASE, max_bytes=MB)
    assert document.kind == "index"
    assert [c.url for c in document.children] == [
        "https://news.example/s/news.xml",
        "https://news.example/s/archive.xml.gz",
    ]
    assert document.children[0].lastmod == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    assert document.skipped == 1


def test_a_google_news_sitemap_gives_date_title_and_language() -> None:
    document = parse_sitemap(NEWS, BASE, max_bytes=MB)
    assert document.kind == "urlset"
    first, second = document.entries
    assert first.url == "https://news.example/a/1"
    assert first.title == "Київ: перша новина & друга"  # not the image's title
    assert first.language == "uk"
    assert first.date == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    assert second.title is None and second.language is None
    assert second.date == datetime(2026, 11, 19, tzinfo=UTC)


def test_gzip_is_undone_and_a_text_sitemap_is_read() -> None:
    assert parse_sitemap(gzip.compress(NEWS), BASE, max_bytes=MB).entries[0].url.endswith("/1")
    text = b"https://news.example/a/1\n\nhttps://news.example/a/2\n"
    assert [e.url for e in parse_sitemap(text, BASE, max_bytes=MB).entries] == [
        "https://news.example/a/1",
        "https://news.example/a/2",
    ]


def test_dates_in_the_w3c_forms() -> None:
    assert w3c_datetime("2026-11-20T08:00Z") == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert w3c_datetime("2026-11-20T08:00:00.5+01:00") == datetime(
        2026, 11, 20, 7, 0, 0, 500000, tzinfo=UTC
    )
    assert w3c_datetime("yesterday") is None
    assert w3c_datetime(None) is None


def test_a_lastmod_past_what_a_datetime_holds_is_none_and_the_document_is_kept() -> None:
    far, early = "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"  # years 10000, 0
    assert w3c_datetime(far) is None and w3c_datetime(early) is None
    index = INDEX.replace(b"2026-11-20T08:00:00+02:00", far.encode())
    children = parse_sitemap(index, BASE, max_bytes=MB).children
    assert [c.lastmod for c in children] == [None, None]
    urlset = NEWS.replace(b"2026-11-19", early.encode())
    entries = parse_sitemap(urlset, BASE, max_bytes=MB).entries
    assert [e.url for e in entries] == ["https://news.example/a/1", "https://news.example/a/2"]
    assert entries[1].date is None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://news.example/&lol9;</loc></url></urlset>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BILLION_LAUGHS, "xml_dtd"),
        (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><urlset/>', "xml_dtd"),
        (b"<urlset><url><loc>https://a.example/</loc></url>", "not_xml"),  # cut short
        (b"this is not xml { at all", "not_xml"),
        (b"<html><body>Not found</body></html>", "not_a_sitemap"),
        (b"<rss version='2.0'><channel/></rss>", "not_a_sitemap"),
        (b"<urlset>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</urlset>", "too_deep"),
        (b"\x1f\x8bnot really gzip", "bad_gzip"),
    ],
)
def test_hostile_and_broken_documents_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_sitemap(body, BASE, max_bytes=MB)
    assert refused.value.reason == reason


def test_too_many_entries_are_refused_as_they_are_read() -> None:
    entries = b"<url><loc>https://a.example/x</loc></url>" * (MAX_ENTRIES + 1)
    with pytest.raises(Rejected) as refused:
        parse_sitemap(b"<urlset>" + entries + b"</urlset>", BASE, max_bytes=10 * MB)
    assert refused.value.reason == "too_many_entries"


def test_a_gzip_bomb_is_cut_at_the_cap_without_inflating_it() -> None:
    bomb = gzip_of_zeros(1024)  # about 1 MB that inflates to 1 GiB
    assert len(bomb) < 2 * MB
    with pytest.raises(Rejected) as refused:
        decompressed(bomb, MB)
    assert refused.value.reason == "too_large"
    assert decompressed(b"<urlset/>", MB) == b"<urlset/>"


def test_a_document_over_the_cap_is_refused() -> None:
    entries = b"<url><loc>https://a.example/x</loc></url>" * 1000
    with pytest.raises(Rejected) as refused:
        parse_sitemap(b"<urlset>" + entries + b"</urlset>", BASE, max_bytes=10_000)
    assert refused.value.reason == "too_large"
