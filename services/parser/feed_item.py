"""One RSS <item> or Atom <entry> -> article: the feed's fields, its summary as the text.

A whole feed is refused upstream (shared.media_type.feed_kind): it is many articles, and each of its
items should be submitted on its own.
"""

from __future__ import annotations

import re

from lxml import etree  # type: ignore[import-untyped]

from services.parser.dates import parse_date
from services.parser.html import extract_html
from services.parser.metadata import clean_authors
from services.parser.plaintext import split_paragraphs
from shared.errors import Rejected
from shared.events import Article
from shared.media_type import is_feed_item

# Never fetch a DTD or expand an entity: the XML came from outside.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
)
_HTML_HINT = re.compile(r"<[a-z][a-z0-9]*\b[^>]*>", re.I)
_RSS_EMAIL_AUTHOR = re.compile(r"^\S+@\S+\s*\((.+)\)$")


def parse_feed_item(text: str, url: str | None) -> Article:
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Rejected("invalid_xml", f"the feed item is not XML: {exc}") from exc
    if root is None or not is_feed_item(_local(root.tag)):
        raise Rejected("not_an_article", "the XML is not an RSS <item> or an Atom <entry>")
    children = {_local(child.tag): child for child in reversed(list(root))}
    summary = _first_text(root, "encoded", "content", "description", "summary")
    if not summary:
        raise Rejected("no_text", "the feed item has no description, summary or content")
    link = _link(root) or url
    if _HTML_HINT.search(summary):
        paragraphs = extract_html(summary, link).text.split("\n\n")
    else:
        paragraphs = split_paragraphs(summary)
    title = _first_text(root, "title")
    # Atom nests the name (<author><name>); RSS writes it (or an email) as the text.
    author = _first_text(children["author"], "name") if "author" in children else None
    author = author or _first_text(root, "creator", "author")
    email_author = _RSS_EMAIL_AUTHOR.match(author or "")
    return Article(
        title=title,
        text="\n\n".join(paragraphs),
        lead=paragraphs[0],
        authors=clean_authors(email_author.group(1) if email_author else author),
        published_at=parse_date(_first_text(root, "pubDate", "published", "date", "issued")),
        modified_at=parse_date(_first_text(root, "updated", "modified")),
        canonical_url=link,
        categories=_categories(root),
        image_url=_image(root),
        extractor="feed-item",
    )


def _first_text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        for child in element:
            if _local(child.tag) == name:
                value = _inner(child)
                if value:
                    return value
    return None


def _inner(element: etree._Element) -> str:
    """An element's content: its text (CDATA or escaped HTML), or its XHTML markup."""
    if len(element):
        parts = [etree.tostring(child, encoding="unicode") for child in element]
        return ((element.text or "") + "".join(parts)).strip()
    return (element.text or "").strip()


def _link(root: etree._Element) -> str | None:
    for child in root:
        if _local(child.tag) != "link":
            continue
        href = child.get("href") or (child.text or "").strip()
        if href and child.get("rel", "alternate") == "alternate":
            return href
    return None


def _categories(root: etree._Element) -> list[str]:
    terms: list[str] = []
    for child in root:
        if _local(child.tag) in ("category", "subject"):
            term = (child.get("term") or child.get("label") or child.text or "").strip()
            if term and term not in terms:
                terms.append(term)
    return terms


def _image(root: etree._Element) -> str | None:
    for child in root.iter():
        name = _local(child.tag)
        url = str(child.get("url") or child.get("href") or "")
        if not url:
            continue
        if name in ("thumbnail", "content") or (
            name == "enclosure" and (child.get("type") or "").startswith("image/")
        ):
            return url
    return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
