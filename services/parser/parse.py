"""The parser's work on one event: whatever arrived -> one normalized `Article`.

Refusals come first and read only a bounded prefix (size, binary magic, feed roots), so a
body that can never be an article costs microseconds. Then the document is dispatched on
its declared type, corrected by its shape: HTTP Content-Type is often plain wrong (HTML
served as text/plain, JSON as text/html), so what the document starts with decides when
the two disagree.
"""

from __future__ import annotations

import re
from typing import Literal

from services.parser.decode import decode_document, raw_bytes
from services.parser.feed_item import is_feed_item, parse_feed_item
from services.parser.html import extract_html
from services.parser.limits import (
    check_not_binary,
    check_shape,
    check_size,
    feed_kind,
    reject_feed,
)
from services.parser.plaintext import parse_plain_text
from services.parser.structured import parse_json_article
from shared.errors import Rejected
from shared.events import Article, ArticleEvent, utc_now

Shape = Literal["html", "json", "xml", "text"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_XML_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
_JSON_TYPES = ("application/json", "application/ld+json", "text/json")
_HEAD = 4096
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_START = re.compile(r'(?:\{\s*"|\[\s*[{\]])')
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|article|div|p)\b", re.I)
_FIRST_ELEMENT = re.compile(r"<([a-zA-Z][\w.-]*:)?([a-zA-Z][\w.-]*)")


def parse_event(event: ArticleEvent, *, max_bytes: int, keep_raw: bool = False) -> ArticleEvent:
    raw = event.raw
    data = raw_bytes(raw)
    check_size(len(data), max_bytes)
    check_not_binary(data)
    check_shape(data)
    if raw.content is not None:
        # Already text (decoded by whoever published it): no charset question is left.
        text, charset = raw.content, "utf-8"
    else:
        text, charset = decode_document(data, raw.encoding)
    article = parse_document(text, raw.content_type, raw.final_url or event.source.url)
    kept_raw = raw.model_copy(update={"encoding": charset})
    if not keep_raw:
        kept_raw = kept_raw.model_copy(update={"content": None, "content_b64": None})
    return event.model_copy(
        update={
            "raw": kept_raw,
            "article": article,
            "timestamps": event.timestamps.model_copy(update={"parsed_at": utc_now()}),
        }
    )


def parse_document(text: str, content_type: str | None, url: str | None) -> Article:
    """Text of any accepted shape -> article, or `Rejected` saying why it cannot be one."""
    # Stray control characters (a few survive in scraped text) make lxml refuse a string.
    text = _CONTROL_CHARS.sub("", text)
    if not text.strip():
        raise Rejected("no_text", "the document is empty")
    shape = document_shape(text, content_type)
    if shape == "xml":
        kind = feed_kind(text)
        if kind is not None:
            reject_feed(kind)
        if is_feed_item(_root_name(text)):
            return parse_feed_item(text, url)
        if _HTML_START.search(text[:_HEAD]):
            return extract_html(text, url)
        raise Rejected("not_an_article", "the XML is neither an HTML page nor a feed item")
    if shape == "json":
        return parse_json_article(text, url)
    if shape == "html":
        kind = feed_kind(text)
        if kind is not None:
            reject_feed(kind)
        return extract_html(text, url)
    return parse_plain_text(text)


def document_shape(text: str, content_type: str | None) -> Shape:
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    head = text.lstrip("\ufeff \t\r\n")[:_HEAD]
    if _JSON_START.match(head):
        return "json"
    if head.startswith("<?xml") or declared in _XML_TYPES:
        return "xml" if not _looks_like_html(head) or declared in _XML_TYPES else "html"
    if head.startswith("<") and feed_kind(head) is not None:
        return "xml"
    if head.startswith("<") and is_feed_item(_root_name(head)):
        return "xml"
    if declared in _HTML_TYPES or _looks_like_html(head):
        return "html"
    if declared in _JSON_TYPES:
        return "json"
    if declared and not declared.startswith("text/"):
        raise Rejected("unsupported_type", f"cannot parse {declared}")
    return "text"


def _looks_like_html(head: str) -> bool:
    return head.startswith("<") and bool(_HTML_START.search(head[:1024]))


def _root_name(text: str) -> str | None:
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
