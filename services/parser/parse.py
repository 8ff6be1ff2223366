"""The parser's work on one event: whatever arrived -> one normalized `Article`."""

from __future__ import annotations

from shared.errors import Rejected
from shared.events import ArticleEvent, utc_now
from services.parser.decode import decode_document, raw_bytes
from services.parser.html import extract_html
from services.parser.plaintext import parse_plain_text

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse_event(event: ArticleEvent, *, max_bytes: int, keep_raw: bool = False) -> ArticleEvent:
    data = raw_bytes(event.raw)
    if len(data) > max_bytes:
        raise Rejected("too_large", f"document is {len(data)} bytes, the limit is {max_bytes}")
    text, charset = decode_document(data, event.raw.encoding)
    content_type = (event.raw.content_type or "").lower()
    if content_type in _HTML_TYPES or (not content_type and _looks_like_html(text)):
        article = extract_html(text, event.source.url)
    elif content_type.startswith("text/") or not content_type:
        article = parse_plain_text(text)
    else:
        raise Rejected("unsupported_type", f"cannot parse {content_type}")
    raw = event.raw.model_copy(update={"encoding": charset})
    if not keep_raw:
        raw = raw.model_copy(update={"content": None, "content_b64": None})
    return event.model_copy(
        update={
            "raw": raw,
            "article": article,
            "timestamps": event.timestamps.model_copy(update={"parsed_at": utc_now()}),
        }
    )


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:2048].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head
