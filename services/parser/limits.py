"""What is refused before any parsing: too big, not a document, or not one article.

Every check reads a bounded prefix of the input, so a 10 MB body of garbage is turned away
in microseconds instead of being handed to an HTML parser or a regex.
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


def reject_feed(kind: str) -> None:
    what = "a sitemap" if kind in ("urlset", "sitemapindex") else "a whole feed"
    raise Rejected(
        "feed_not_article", f"the document is {what} (<{kind}>), not one article; submit its items"
    )
