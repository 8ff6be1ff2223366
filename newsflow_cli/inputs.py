"""What the CLI reads: files, folders, URLs and stdin, turned into raw submissions."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from services.parser.decode import decode_document
from shared.content_decoding import DecodedTooLarge, decode_all
from shared.errors import Rejected
from shared.events import RawSubmission, Via
from shared.urls import is_http_url

_CHUNK = 64 * 1024
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".txt": "text/plain",
    ".json": "application/json",
    ".xml": "application/xml",
}


@dataclass(frozen=True)
class Input:
    """One thing to publish or parse, and where it came from (a path, a URL or `-`)."""

    origin: str
    submission: RawSubmission


def content_type_for(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return CONTENT_TYPES.get(Path(name).suffix)


def expand_paths(args: Iterable[str]) -> Iterator[str]:
    """Folders become the article files inside them (sorted, recursive); the rest is kept."""
    for arg in args:
        path = Path(arg)
        if arg != "-" and not is_http_url(arg) and path.is_dir():
            yield from (
                str(p) for p in sorted(path.rglob("*")) if p.is_file() and content_type_for(p)
            )
        else:
            yield arg


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, a `.gz` decompressed while it is read: `Rejected` ("too_large") as
    soon as there are more than `max_bytes`, so a small gzip bomb never fills memory;
    `CorruptContent` (a ValueError) when it is not gzip after all."""
    with path.open("rb") as file:
        return read_stream(file, max_bytes, gzipped=path.name.lower().endswith(".gz"))


def read_stream(stream: BinaryIO, max_bytes: int, *, gzipped: bool = False) -> bytes:
    chunks = iter(lambda: stream.read(_CHUNK), b"")
    try:
        return decode_all(chunks, ["gzip"] if gzipped else [], max_bytes)
    except DecodedTooLarge as exc:
        raise Rejected("too_large", f"{exc} (NEWSFLOW_MAX_CONTENT_BYTES)") from exc


def to_input(arg: str, *, max_bytes: int, source: str | None = None, via: Via = "cli") -> Input:
    """`Rejected` ("too_large") when the content is over `max_bytes`, read or decoded."""
    if is_http_url(arg):
        return Input(arg, RawSubmission(url=arg, source=source, via=via))
    if arg == "-":
        data = read_stream(sys.stdin.buffer, max_bytes)
        content_type = None
    else:
        path = Path(arg)
        data = read_file(path, max_bytes)
        content_type = content_type_for(path)
    text, _charset = decode_document(data)
    size = len(text.encode())  # what is published: a legacy charset can grow in UTF-8
    if size > max_bytes:
        raise Rejected("too_large", f"{size} bytes as UTF-8, over {max_bytes}")
    return Input(
        arg,
        RawSubmission(content=text, content_type=content_type, source=source, via=via),
    )
