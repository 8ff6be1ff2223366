"""A sitemap document (bytes our client fetched) -> its child sitemaps or its article entries.

Sitemaps come from strangers, so the XML is read defensively: no DTD (a sitemap never needs
one, and a DTD is how entity-expansion bombs start), lxml told never to resolve entities or
touch the network, gzip undone with a cap on the decompressed size, and the document read
with a pull parser in pieces so the element depth and the entry count are checked as it is
read rather than after a whole tree was built. The plain-text form of the protocol (one URL
per line) is read too. Every refusal is a `Rejected` with a short reason.

No sitemap library is used: ultimate-sitemap-parser is GPL-3.0 and downloads on its own,
and trafilatura's sitemap module (Apache-2.0) also fetches by itself and keeps no Google
News fields (publication date, title, language).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urljoin

from lxml import etree  # type: ignore[import-untyped]

from shared.errors import Rejected
from shared.urls import is_http_url

# The sitemap protocol's own limits: 50,000 URLs and 50 MB uncompressed per document.
MAX_ENTRIES = 50_000
MAX_DEPTH = 16  # <sitemapindex><sitemap><loc> is 3 deep; <url><news:news><news:publication> 4
_PIECE = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_TEXT_CHARS = 2000

DocumentKind = Literal["index", "urlset"]


@dataclass(frozen=True)
class SitemapEntry:
    """One article URL a sitemap lists, with what it says about it."""

    url: str
    lastmod: datetime | None = None
    published_at: datetime | None = None  # <news:publication_date>
    title: str | None = None  # <news:title>
    language: str | None = None  # <news:language>

    @property
    def date(self) -> datetime | None:
        """The article's date as the sitemap gives it: the news publication date first."""
        return self.published_at or self.lastmod


@dataclass(frozen=True)
class ChildSitemap:
    url: str
    lastmod: datetime | None = None


@dataclass
class SitemapDocument:
    kind: DocumentKind
    children: list[ChildSitemap] = field(default_factory=list)
    entries: list[SitemapEntry] = field(default_factory=list)
    skipped: int = 0  # <loc>s that are not http(s) URLs


def decompressed(body: bytes, max_bytes: int) -> bytes:
    """`body` itself, or, when it is gzip (a .xml.gz file), its content: at most `max_bytes`
    of it, so a small gzip bomb is refused after `max_bytes` rather than filling memory."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise Rejected("bad_gzip", f"the gzip sitemap is corrupt: {exc}") from exc
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise Rejected("too_large", f"the gzip sitemap inflates past {max_bytes} bytes")
    return data


def parse_sitemap(body: bytes, base_url: str, *, max_bytes: int) -> SitemapDocument:
    """A sitemap index, a urlset (Google News fields included) or a text sitemap."""
    data = decompressed(body, max_bytes)
    if len(data) > max_bytes:
        raise Rejected("too_large", f"the sitemap is {len(data)} bytes, over {max_bytes}")
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<"):
        return _text_sitemap(data, base_url)
    if _DTD.search(data):
        raise Rejected("xml_dtd", "the sitemap declares a DTD or entities: refused")
    return _xml_sitemap(data, base_url)


def _text_sitemap(data: bytes, base_url: str) -> SitemapDocument:
    """One URL per line (the protocol's text form); anything else is not a sitemap."""
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    urls = [line for line in lines if line]
    if not urls or not all(is_http_url(url) and " " not in url for url in urls):
        raise Rejected("not_xml", f"{base_url} is neither XML nor a list of URLs")
    if len(urls) > MAX_ENTRIES:
        raise Rejected("too_many_entries", f"{len(urls)} URLs, over {MAX_ENTRIES}")
    return SitemapDocument("urlset", entries=[SitemapEntry(url) for url in urls])


class _Reader:
    """Collects entries from the pull parser's events; the path of element names says
    where each text belongs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.path: list[str] = []
        self.document: SitemapDocument | None = None
        self.fields: dict[str, str] = {}

    def start(self, tag: str) -> None:
        self.path.append(tag)
        if len(self.path) > MAX_DEPTH:
            raise Rejected("too_deep", f"the sitemap nests elements over {MAX_DEPTH} deep")
        if len(self.path) == 1:
            if tag == "sitemapindex":
                self.document = SitemapDocument("index")
            elif tag == "urlset":
                self.document = SitemapDocument("urlset")
            else:
                raise Rejected("not_a_sitemap", f"the XML's root is <{tag}>, not a sitemap")
        elif len(self.path) == 2:
            self.fields = {}

    def end(self, element: etree._Element) -> None:
        tag = self.path.pop()
        depth = len(self.path)
        # loc and lastmod belong to the <url>/<sitemap> itself (depth 2), the others to its
        # <news:news>: an <image:image> has a <loc> and a <title> of its own.
        if (depth == 2 and tag in _ITEM_FIELDS) or (tag in _NEWS_FIELDS and "news" in self.path):
            text = (element.text or "").strip()[:_MAX_TEXT_CHARS]
            if text:
                self.fields.setdefault(tag, text)
        elif depth == 1:
            self._close_item(tag)

    def _close_item(self, tag: str) -> None:
        document = self.document
        assert document is not None  # set by the root's start
        url = _absolute(self.fields.get("loc"), self.base_url)
        if url is None:
            document.skipped += 1
            return
        if len(document.children) + len(document.entries) >= MAX_ENTRIES:
            raise Rejected("too_many_entries", f"the sitemap lists over {MAX_ENTRIES} entries")
        lastmod = w3c_datetime(self.fields.get("lastmod"))
        if document.kind == "index" and tag == "sitemap":
            document.children.append(ChildSitemap(url, lastmod))
        elif document.kind == "urlset" and tag == "url":
            document.entries.append(
                SitemapEntry(
                    url=url,
                    lastmod=lastmod,
                    published_at=w3c_datetime(self.fields.get("publication_date")),
                    title=self.fields.get("title"),
                    language=_language(self.fields.get("language")),
                )
            )


_ITEM_FIELDS = frozenset({"loc", "lastmod"})
_NEWS_FIELDS = frozenset({"publication_date", "title", "language"})


def _xml_sitemap(data: bytes, base_url: str) -> SitemapDocument:
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    reader = _Reader(base_url)
    try:
        for offset in range(0, len(data), _PIECE):
            parser.feed(data[offset : offset + _PIECE])
            _drain(parser, reader)
        parser.close()
        _drain(parser, reader)
    except etree.XMLSyntaxError as exc:
        raise Rejected("not_xml", f"{base_url} is not well-formed XML: {exc}") from exc
    if reader.document is None:
        raise Rejected("not_xml", f"{base_url} has no XML root element")
    return reader.document


def _drain(parser: etree.XMLPullParser, reader: _Reader) -> None:
    for event, element in parser.read_events():
        tag = _local(element.tag)
        if event == "start":
            reader.start(tag)
            continue
        reader.end(element)
        if len(reader.path) <= 1:
            # A finished <url> or <sitemap>: free it and the siblings before it, so a
            # document of 50,000 entries never holds them all as a tree.
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _absolute(loc: str | None, base_url: str) -> str | None:
    if not loc:
        return None
    url = urljoin(base_url, loc.strip())
    return url if is_http_url(url) else None


def w3c_datetime(text: str | None) -> datetime | None:
    """`2026-11-20`, `2026-11-20T08:00Z`, `2026-11-20T08:00:00+02:00` -> UTC; a date
    alone is its midnight UTC; anything else None (a wrong date is not worth a refusal)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _language(text: str | None) -> str | None:
    # Google News asks for ISO 639 codes, with zh-cn/zh-tw as the exceptions.
    if not text or len(text) > 16:
        return None
    return text.strip().lower() or None
