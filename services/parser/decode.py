"""Bytes to text: the page's declared charset when it is right, detection when it is not."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

from charset_normalizer import from_bytes

from shared.errors import Rejected
from shared.events import Raw
from shared.web_charsets import web_charset

_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Charset detection reads a sample: enough for a statistical verdict, bounded in time.
_DETECTION_SAMPLE = 200_000


def raw_bytes(raw: Raw) -> bytes:
    if raw.content is not None:
        return raw.content.encode("utf-8")
    if raw.content_b64 is not None:
        try:
            return base64.b64decode(raw.content_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Rejected("invalid_content", f"raw.content_b64 is not base64: {exc}") from exc
    raise Rejected("no_content", "the event carries no raw content to parse")


def decode_document(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return (text, charset). Order: BOM, valid UTF-8, the declared charset (header), a
    meta tag, then detection.

    Bytes that decode as UTF-8 and hold non-ASCII are UTF-8 in practice: no other charset
    produces valid multi-byte sequences by chance. Trying it before the declaration matters
    because servers and templates often claim a single-byte charset (iso-8859-1, cp1252)
    the page is not in, and a single-byte charset decodes any bytes "cleanly" into mojibake.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace"), name
    text = _strict_decode(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    candidates = [declared] if declared else []
    match = _META_CHARSET.search(data[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    for name in candidates:
        charset = web_charset(name)  # None: not a charset a page may use
        if charset is None or charset in ("utf-16", "utf-32"):
            continue
        text = _strict_decode(data, charset)
        if text is not None:
            return text, charset
    best = from_bytes(data[:_DETECTION_SAMPLE]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace"), best.encoding
    return data.decode("utf-8", errors="replace"), "utf-8"


def _strict_decode(data: bytes, charset: str) -> str | None:
    try:
        return data.decode(charset)
    except UnicodeDecodeError:
        return None
