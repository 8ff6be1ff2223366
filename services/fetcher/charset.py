"""The charset a downloaded page is in, passed on with its bytes for the parser to decode.

Order: a byte-order mark, the Content-Type header, a <meta> tag, UTF-8, then detection. A
declared charset counts only when the bytes decode with it: pages often claim a charset they
are not in (a page saved as UTF-8 still saying euc-kr is common), and passing the claim on
would only hand the parser a wrong first guess.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from shared.web_charsets import web_charset

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_META_SCAN_BYTES = 4096
_DETECT_BYTES = 200_000


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    return web_charset(match.group(1).decode("ascii", "ignore")) if match else None


def page_charset(body: bytes, header_charset: str | None) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    if not body:
        return web_charset(header_charset) if header_charset else None
    declared = [web_charset(header_charset) if header_charset else None, meta_charset(body)]
    for candidate in [*declared, "utf-8"]:
        if candidate is not None and _decodes(body, candidate):
            return candidate
    best = from_bytes(body[:_DETECT_BYTES]).best()
    return web_charset(best.encoding) if best is not None else None


def _decodes(body: bytes, name: str) -> bool:
    try:
        body.decode(name)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
