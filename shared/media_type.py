"""What kind of document a text is: the one place that decides, from what the document starts
with and what its sender declared.

The declared type is a hint, not the answer: HTTP Content-Type is often plain wrong (HTML
served as text/plain, JSON as text/html), and a submitter may give none. So the fetcher
passes on what was declared, and only the parser decides, here, once the text is decoded.
Every check reads a bounded head of the text.
"""

from __future__ import annotations

import re
from typing import Literal

from shared.errors import Rejected

DocumentShape = Literal["html", "json", "xml", "text"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_XML_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
_JSON_TYPES = ("application/json", "application/ld+json", "text/json")
_HEAD = 4096
_JSON_START = re.compile(r'(?:\{\s*"|\[\s*[{\]])')
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|article|div|p)\b", re.I)
_FIRST_ELEMENT = re.compile(r"<([a-zA-Z][\w.-]*:)?([a-zA-Z][\w.-]*)")
_FEED_ROOT = re.compile(rb"<(?:[a-z0-9_]+:)?(rss|feed|rdf|urlset|sitemapindex)[\s>/]", re.I)
_TAG = re.compile(rb"<([a-z!?][a-z0-9_:-]*)", re.I)
_FEED_ITEM_ROOTS = ("item", "entry")


def media_type_of(content_type: str | None) -> str | None:
    """`Text/HTML; charset=utf-8` -> `text/html`; None when nothing is declared."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def document_shape(text: str, content_type: str | None) -> DocumentShape:
    """How to parse `text`: its start decides, the declared type only where the start does
    not; `Rejected` for a declared type that is no text document."""
    declared = media_type_of(content_type) or ""
    head = text.lstrip("\ufeff \t\r\n")[:_HEAD]
    if _JSON_START.match(head):
        return "json"
    if head.startswith("<?xml") or declared in _XML_TYPES:
        return "xml" if not _looks_like_html(head) or declared in _XML_TYPES else "html"
    if head.startswith("<") and feed_kind(head) is not None:
        return "xml"
    if head.startswith("<") and is_feed_item(root_element(head)):
        return "xml"
    if declared in _HTML_TYPES or _looks_like_html(head):
        return "html"
    if declared in _JSON_TYPES:
        return "json"
    if declared and not declared.startswith("text/"):
        raise Rejected("unsupported_type", f"cannot parse {declared}")
    return "text"


def feed_kind(text: str) -> str | None:
    """'rss', 'feed', 'rdf', 'urlset' or 'sitemapindex' when the document's first element
    is a feed or a sitemap root, else None. Only the head of the document is read."""
    head = text[:_HEAD].encode("utf-8", "ignore")
    for match in _TAG.finditer(head):
        name = match.group(1).lower()
        if name.startswith((b"!", b"?")):
            continue  # declarations, comments, doctype
        root = _FEED_ROOT.match(head, match.start())
        return root.group(1).decode().lower() if root else None
    return None


def is_feed_item(root_name: str | None) -> bool:
    """An RSS <item> or an Atom <entry>: one article, unlike the feed around it."""
    return root_name in _FEED_ITEM_ROOTS


def root_element(text: str) -> str | None:
    """Local name of the first element, past the XML declaration, comments and doctype."""
    position = 0
    head = text[:_HEAD]
    while True:
        start = head.find("<", position)
        if start < 0 or start + 1 >= len(head):
            return None
        if head[start + 1] in "?!":
            position = start + 1
            continue
        match = _FIRST_ELEMENT.match(head, start)
        return match.group(2).lower() if match else None


def has_html_element(text: str) -> bool:
    """An element only HTML has (html, body, p, ...) in the head of the text."""
    return bool(_HTML_START.search(text[:_HEAD]))


def _looks_like_html(head: str) -> bool:
    return head.startswith("<") and has_html_element(head[:1024])
