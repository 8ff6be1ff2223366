"""What is refused before any parsing: too big, not a document, not one article, or a
markup shape that would keep lxml busy for minutes.

The first checks read a bounded prefix of the input, so a 10 MB body of garbage is turned
away in microseconds instead of being handed to an HTML parser or a regex. The shape check
reads the whole body, but only with byte counts and linear regex scans (about 1 ms for
a 500 KB page), never a parse.
"""

from __future__ import annotations

import re

from shared.errors import Rejected

# Magic numbers of the binary bodies a fetch most often returns instead of a page.
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png image"),
    (b"\xff\xd8\xff", "jpeg image"),
    (b"GIF87a", "gif image"),
    (b"GIF89a", "gif image"),
    (b"RIFF", "riff media (webp, wav, avi)"),
    (b"PK\x03\x04", "zip archive (docx, xlsx, epub, ...)"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ms office document"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\x7fELF", "executable"),
    (b"ID3", "mp3 audio"),
    (b"OggS", "ogg media"),
)
_ISO_MEDIA = re.compile(rb"^....ftyp", re.S)  # mp4, mov, heic, avif
_TEXT_SAMPLE = 8192
# Control bytes other than tab, newline, carriage return and form feed: text has almost none.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_MAX_CONTROL_SHARE = 0.02

# Shape limits, far above real pages and far below what makes lxml crawl (its cost grows
# steeply with the attributes of one element: 10k took 0.5 s, 40k 38 s). On the 200 corpus
# pages the most were 28 attributes on an element, 6,092 elements in a page, and 777
# opening tags in a row with no closing tag between them (the stand-in for depth here).
MAX_ATTRIBUTES = 1_000
MAX_ELEMENTS = 200_000
MAX_OPEN_RUN = 5_000
_ELEMENT = re.compile(rb"<[a-zA-Z]")
# Only a tag this long can hold MAX_ATTRIBUTES attributes (each takes at least " a").
_LONG_TAG = re.compile(rb"<[a-zA-Z][^<>]{%d,}+" % (2 * MAX_ATTRIBUTES))
_ATTRIBUTE = re.compile(rb"""\s[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*+"|'[^']*+'|[^\s"'<>]*+))?""")
# MAX_OPEN_RUN non-closing tags in a row. A run is looked for only after a closing tag
# (and at the start), so each run is scanned once, and the literal `</` lets the regex
# engine skip ahead to candidates instead of trying every byte.
_OPEN_TAGS = rb"[^<]*+(?:<(?!/)[^<>]*+>[^<]*+){%d}" % MAX_OPEN_RUN
_OPEN_RUN_AT_START = re.compile(_OPEN_TAGS)
_OPEN_RUN = re.compile(rb"</[^<>]*+>" + _OPEN_TAGS)


def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise Rejected("too_large", f"document is {size} bytes, the limit is {max_bytes}")


def check_not_binary(data: bytes) -> None:
    """Reject PDFs, images, archives and other binary bodies by their first bytes."""
    head = data[:16]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise Rejected("binary_content", f"the body is a {what}, not a text document")
    if _ISO_MEDIA.match(head):
        raise Rejected("binary_content", "the body is an iso media file (video or image)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return  # UTF-16 with a BOM: NUL bytes are expected
    sample = data[:_TEXT_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise Rejected("binary_content", "the body is binary data, not a text document")


def check_shape(data: bytes) -> None:
    """Reject markup with too many attributes on an element, too many elements, or nesting
    too deep: each makes parsing cost minutes, and no article is shaped so."""
    if data.count(b"<") > MAX_ELEMENTS and len(_ELEMENT.findall(data)) > MAX_ELEMENTS:
        raise Rejected("too_many_elements", f"the document has more than {MAX_ELEMENTS} elements")
    for tag in _LONG_TAG.finditer(data):
        # Counted only up to the limit: a million attributes are not worth listing.
        for count, _ in enumerate(_ATTRIBUTE.finditer(tag.group()), start=1):
            if count > MAX_ATTRIBUTES:
                raise Rejected(
                    "too_many_attributes",
                    f"an element has more than {MAX_ATTRIBUTES} attributes",
                )
    opening_tags = data.count(b"<") - data.count(b"</")  # counts only: the common case
    if opening_tags > MAX_OPEN_RUN and (_OPEN_RUN_AT_START.match(data) or _OPEN_RUN.search(data)):
        raise Rejected(
            "too_deep",
            f"the document opens more than {MAX_OPEN_RUN} elements without closing one",
        )


def reject_feed(kind: str) -> None:
    what = "a sitemap" if kind in ("urlset", "sitemapindex") else "a whole feed"
    raise Rejected(
        "feed_not_article", f"the document is {what} (<{kind}>), not one article; submit its items"
    )
