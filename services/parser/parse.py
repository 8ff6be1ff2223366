"""The parser's work on one event: whatever arrived -> one normalized `Article`.

Refusals come first and read only a bounded prefix (size, binary magic, feed roots), so a
body that can never be an article costs microseconds. Then the document is dispatched on
its shape (`shared.media_type`): what it starts with, its declared type where the start
does not say.
"""

from __future__ import annotations

import re

from services.parser.decode import decode_document, raw_bytes
from services.parser.feed_item import parse_feed_item
from services.parser.hints import with_hints
from services.parser.html import extract_html
from services.parser.limits import (
    check_not_binary,
    check_shape,
    check_size,
    reject_feed,
)
from services.parser.plaintext import parse_plain_text
from services.parser.structured import parse_json_article
from shared.errors import Rejected
from shared.events import Article, ArticleEvent
from shared.media_type import (
    document_shape,
    feed_kind,
    has_html_element,
    is_feed_item,
    root_element,
)

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    article = with_hints(article, event.source)
    kept_raw = raw.model_copy(update={"encoding": charset})
    if not keep_raw:
        kept_raw = kept_raw.model_copy(update={"content": None, "content_b64": None})
    return event.model_copy(update={"raw": kept_raw, "article": article}).stamped("parser")


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
        if is_feed_item(root_element(text)):
            return parse_feed_item(text, url)
        if has_html_element(text):
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
