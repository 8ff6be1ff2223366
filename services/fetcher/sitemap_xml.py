"""A sitemap document (bytes our client fetched) -> its child sitemaps or its article entries.

Sitemaps come from strangers, so the XML is read defensively: no DTD (a sitemap never needs
one, and a DTD is how entity-expansion bombs start), lxml told never to resolve entities or
touch the network and to keep libxml2's caps (no huge trees: 256 levels deep at most), gzip
undone with a cap on the decompressed size, and the document read incrementally
(`iterparse`), each entry freed once read and the entry count checked as it goes. The
plain-text form of the protocol (one URL per line) is read too. Every refusal is a
`Rejected` with a short reason.

No sitemap library is used: ultimate-sitemap-parser is GPL-3.0 and downloads on its own,
and trafilatura's sitemap module (Apache-2.0) also fetches by itself and keeps no Google
News fields (publication date, title, language).
"""

from __future__ import annotations

import io
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


def _xml_sitemap(data: bytes, base_url: str) -> SitemapDocument:
    # Only the <url>s and <sitemap>s come back to Python: the element-by-element work is
    # lxml's, and each one is freed once read, so 50,000 entries never stand as a tree.
    items = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=("{*}url", "{*}sitemap"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,  # libxml2's own caps: 256 levels deep, 10 MB in one text node
        remove_comments=True,
        remove_pis=True,
    )
    entries: list[SitemapEntry] = []
    children: list[ChildSitemap] = []
    skipped = 0
    try:
        for _event, element in items:
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # not an item of the root: an <image:image> has no say here
            if len(entries) + len(children) >= MAX_ENTRIES:
                raise Rejected("too_many_entries", f"the sitemap lists over {MAX_ENTRIES}")
            url = _absolute(_child_text(element, "loc"), base_url)
            if url is None:
                skipped += 1
            elif _local(element.tag) == "sitemap":
                children.append(ChildSitemap(url, w3c_datetime(_child_text(element, "lastmod"))))
            else:
                entries.append(_entry(element, url))
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        reason = "too_deep" if "depth" in str(exc) else "not_xml"
        raise Rejected(reason, f"{base_url} is not well-formed XML: {exc}") from exc
    root = _local(items.root.tag) if items.root is not None else ""
    if root == "sitemapindex":
        return SitemapDocument("index", children=children, skipped=skipped)
    if root == "urlset":
        return SitemapDocument("urlset", entries=entries, skipped=skipped)
    raise Rejected("not_a_sitemap", f"the XML's root is <{root}>, not a sitemap")


def _entry(element: etree._Element, url: str) -> SitemapEntry:
    news = _child(element, "news")
    publication = _child(news, "publication")
    return SitemapEntry(
        url=url,
        lastmod=w3c_datetime(_child_text(element, "lastmod")),
        published_at=w3c_datetime(_child_text(news, "publication_date")),
        title=_child_text(news, "title"),
        language=_language(_child_text(publication, "language")),
    )


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    """`element`'s first child called `name`, in any namespace."""
    if element is None:
        return None
    return next((child for child in element if _local(child.tag) == name), None)


def _child_text(element: etree._Element | None, name: str) -> str | None:
    child = _child(element, name)
    if child is None:
        return None
    return (child.text or "").strip()[:_MAX_TEXT_CHARS] or None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _absolute(loc: str | None, base_url: str) -> str | None:
    if not loc:
        return None
    loc = loc.strip()
    # Nearly every <loc> is absolute already: urljoin only for the others (it is slow).
    url = loc if loc[:8].lower().startswith(("http://", "https://")) else urljoin(base_url, loc)
    return url if is_http_url(url) else None


def w3c_datetime(text: str | None) -> datetime | None:
    """`2026-11-20`, `2026-11-20T08:00Z`, `2026-11-20T08:00:00+02:00` -> UTC; a date
    alone is its midnight UTC; anything else None (a wrong date is not worth a refusal)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
        # Inside the try: 9999-12-31T23:59:59-12:00 is past year 9999 in UTC (OverflowError).
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _language(text: str | None) -> str | None:
    # Google News asks for ISO 639 codes, with zh-cn/zh-tw as the exceptions.
    if not text or len(text) > 16:
        return None
    return text.strip().lower() or None
