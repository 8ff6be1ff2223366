"""One web-archive record -> the raw submission it makes, or why it makes none.

A response record holds an HTTP response as some crawler received it, earlier. What the
fetcher would have done with that response had it downloaded it now is what is done here:
transfer and content codings undone (bounded, `shared.content_decoding`), only 200s of web
pages kept, and the bytes published with the charset the response declared, so the fetcher
and the parser decide the text's charset as they do for a page they download.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from warcio.recordloader import ArcWarcRecord

from newsflow_cli.bounded_body import PIECE, dechunked_at_most, read_at_most
from shared.content_decoding import (
    CorruptContent,
    DecodedTooLarge,
    StreamDecoder,
    content_codings,
)
from shared.events import RawSubmission
from shared.media_type import media_type_of
from shared.urls import is_http_url

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SNIFF_BYTES = 1024


@dataclass(frozen=True)
class Skipped:
    """A record that is not an article to publish: `kind` is what it is (a record type such
    as `request` or `revisit`, or `not_html`, `http_404`, `not_http`, `too_large`, `empty`)."""

    kind: str
    detail: str = ""


class BadRecord(Exception):
    """The record is complete but its content cannot be read (a broken content coding)."""


def submission_of(
    record: ArcWarcRecord, *, max_bytes: int, source: str | None = None
) -> RawSubmission | Skipped:
    """The submission for a 200 HTML response record; `Skipped` for any other record;
    `BadRecord` when the response's content is not in the coding it declares."""
    if record.rec_type != "response":
        return Skipped(record.rec_type or "untyped")
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if not is_http_url(url) or record.http_headers is None:
        return Skipped("not_http", url[:200])
    status = _status_code(record)
    if status != 200:
        return Skipped(f"http_{status}" if status else "bad_status", url)
    declared = record.http_headers.get_header("Content-Type")
    media_type = media_type_of(declared)
    if media_type is not None and media_type not in HTML_TYPES:
        return Skipped("not_html", f"{url} is {media_type}")
    body = _payload(record, max_bytes)
    if body is None:
        return Skipped("too_large", f"{url} is over {max_bytes} bytes (NEWSFLOW_MAX_CONTENT_BYTES)")
    if not body.strip():
        return Skipped("empty", url)
    if media_type is None and not _looks_like_html(body):
        return Skipped("not_html", f"{url} has no Content-Type and is not HTML")
    return RawSubmission(
        url=url,
        content_b64=base64.b64encode(body).decode("ascii"),
        charset=charset_of(declared),
        content_type=media_type or "text/html",
        source=source,
        via="archive",
        hint_captured_at=captured_at(record),
    )


def captured_at(record: ArcWarcRecord) -> datetime | None:
    """WARC-Date (ISO 8601, to the second or finer), or None when absent or malformed."""
    value = record.rec_headers.get_header("WARC-Date")
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def charset_of(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type header, as written."""
    if not content_type:
        return None
    header = Message()
    header["Content-Type"] = content_type
    charset = header.get_param("charset")
    return (charset.strip() or None) if isinstance(charset, str) else None


def _status_code(record: ArcWarcRecord) -> int | None:
    code = (record.http_headers.get_statuscode() or "").strip()
    return int(code) if code.isdigit() else None


def _payload(record: ArcWarcRecord, max_bytes: int) -> bytes | None:
    """The HTTP body with its transfer and content codings undone; None past `max_bytes`.

    warcio can undo them itself (`content_stream()`), but unbounded (a gzip bomb in an
    archive decodes whole) and silently (a broken stream just ends); the shared decoder
    counts what it decodes and says when a coding is broken."""
    headers = record.http_headers
    codings = content_codings(
        value for name, value in headers.headers if name.lower() == "content-encoding"
    )
    if (headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        raw = dechunked_at_most(record.raw_stream, max_bytes + PIECE)
    else:
        # Encoded bytes are no more than what they decode to, give or take a header.
        raw = read_at_most(record.raw_stream, max_bytes)
    if raw is None:
        return None
    decoder = StreamDecoder(codings, max_bytes)
    try:
        return b"".join(decoder.decode(raw))
    except DecodedTooLarge:
        return None
    except CorruptContent as exc:
        if decoder.decoded_bytes == 0 and not raw.startswith(b"\x1f\x8b"):
            # Broken from its first byte and not gzip: the crawler stored the body decoded
            # and kept the header (warcio assumes the same).
            return raw
        raise BadRecord(f"{', '.join(codings)} content is broken: {exc}") from exc


def _looks_like_html(body: bytes) -> bool:
    start = body[:_SNIFF_BYTES].lower()
    return b"<html" in start or b"<!doctype html" in start
