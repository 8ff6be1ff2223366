"""What the CLI reads: files, folders, URLs and stdin, turned into raw submissions."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from services.parser.decode import decode_document
from shared.events import RawSubmission, Via
from shared.urls import is_http_url

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


def read_file(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def to_input(arg: str, *, source: str | None = None, via: Via = "cli") -> Input:
    if is_http_url(arg):
        return Input(arg, RawSubmission(url=arg, source=source, via=via))
    if arg == "-":
        data = sys.stdin.buffer.read()
        content_type = None
    else:
        path = Path(arg)
        data = read_file(path)
        content_type = content_type_for(path)
    text, _charset = decode_document(data)
    return Input(
        arg,
        RawSubmission(content=text, content_type=content_type, source=source, via=via),
    )
