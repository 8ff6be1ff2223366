"""An archived HTTP body read within a budget, de-chunked when it was sent with
`Transfer-Encoding: chunked`.

warcio's `ChunkedDataReader` reads each chunk whole: one chunk declaring a gibibyte (a few
megabytes of gzip in the archive) is held in memory before any cap could apply. Here a
chunk's declared size counts against the budget before its bytes are read.
"""

from __future__ import annotations

from typing import BinaryIO, Final

_SIZE_LINE_BYTES: Final = 1024  # "<hex size>[;extensions]\r\n": a longer line is not one
PIECE: Final = 64 * 1024  # what is read at a time


def dechunked_at_most(stream: BinaryIO, max_bytes: int) -> bytes | None:
    """The body de-chunked, or None once it would be over `max_bytes`. A body whose first
    line is not a chunk size was stored de-chunked under the header (some crawlers do): it
    is taken as it is. A body cut short gives what came before the cut, as warcio does."""
    first = stream.readline(_SIZE_LINE_BYTES)
    if _chunk_size(first) is None:
        return read_at_most(stream, max_bytes, start=first)
    body = bytearray()
    line = first
    while (size := _chunk_size(line)) is not None and size > 0:
        if len(body) + size > max_bytes:
            return None
        left = size
        while left:
            piece = stream.read(min(left, PIECE))
            if not piece:
                return bytes(body)  # cut short
            body.extend(piece)
            left -= len(piece)
        stream.readline(_SIZE_LINE_BYTES)  # the CRLF closing the chunk
        line = stream.readline(_SIZE_LINE_BYTES)
    return bytes(body)


def _chunk_size(line: bytes) -> int | None:
    if not line.endswith(b"\n"):
        return None
    size = line.split(b";", 1)[0].strip()
    if not size or len(size) > 16:
        return None
    try:
        return int(size, 16)
    except ValueError:
        return None


def read_at_most(stream: BinaryIO, max_bytes: int, start: bytes = b"") -> bytes | None:
    """`start` and the rest of the stream, or None once there are more than `max_bytes`
    (give or take one piece read)."""
    data = bytearray(start)
    while piece := stream.read(PIECE):
        data.extend(piece)
        if len(data) > max_bytes + PIECE:
            return None
    return bytes(data)
