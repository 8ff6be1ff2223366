"""The records of a WARC file (plain or gzipped), read with warcio, and where it is damaged.

warcio reads a well-formed archive; on a damaged one it stops with an exception, or worse
hands on a record cut short without a word (a truncated gzip member just ends, and a broken
one is reported on stderr only). Here every record is checked to be as long as its header
says before its outcome is handed on, and after damage the reading resumes at the next
record that can be found: the next gzip member that opens on a WARC header, or the next
`WARC/1.x` line of a plain file. What could not be read is said, with its offset in the
file, and where reading resumed (or that nothing after it could be read).
"""

from __future__ import annotations

import io
import mmap
import re
import zlib
from collections.abc import Callable, Generator, Iterator
from contextlib import redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

T = TypeVar("T")

GZIP_MAGIC = b"\x1f\x8b\x08"
_PLAIN_RECORD_START = re.compile(rb"(?<=\n)WARC/1\.[01]\r?\n")
_DRAIN_PIECE = 64 * 1024
_MAX_LINE_BYTES = 1 << 20
_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class ReadRecord(Generic[T]):
    """A complete record, at `offset` in its file, and what `decide` made of it."""

    offset: int
    outcome: T


@dataclass(frozen=True)
class Corrupt:
    """A complete record at `offset` whose bytes fail its digest: not handed on; reading
    goes on with the next record."""

    offset: int
    message: str


@dataclass(frozen=True)
class Damage:
    """What could not be read at `offset`; `resumed_at` is where reading went on, None when
    nothing after it could be read."""

    offset: int
    message: str
    resumed_at: int | None

    def describe(self) -> str:
        then = (
            f"resumed at offset {self.resumed_at}"
            if self.resumed_at is not None
            else "stopped there: nothing readable after it"
        )
        return f"damaged record at offset {self.offset}: {self.message}; {then}"


def read_archive(
    path: Path, decide: Callable[[ArcWarcRecord], T]
) -> Iterator[ReadRecord[T] | Corrupt | Damage]:
    """Each record's outcome (`decide` is called while the record is current, and its
    outcome handed on only once the record proved complete), and each damage met."""
    with path.open("rb") as file:
        gzipped = file.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        start: int | None = 0
        while start is not None:
            file.seek(start)
            broken = yield from _records_from(file, decide)
            if broken is None:
                return
            offset, message = broken
            offset = max(offset, start)  # the search always moves on: no loop on one spot
            start = next_record_start(file, offset + 1, gzipped=gzipped)
            yield Damage(offset, message, start)


# The records of one reading, then (offset, why) at the first damage or None at a clean end.
_Reading = Generator[ReadRecord[T] | Corrupt, None, tuple[int, str] | None]


def _records_from(file: BinaryIO, decide: Callable[[ArcWarcRecord], T]) -> _Reading[T]:
    """Records from the file's position on; returns (offset, why) at the first damage, None
    at a clean end."""
    # Digests checked, not enforced: a record whose block does not match is reported below.
    records = ArchiveIterator(file, check_digests=True)
    _refuse_long_lines(records.reader)
    iterator = iter(records)
    while True:
        warnings = io.StringIO()  # warcio reports some damage only there
        try:
            with redirect_stderr(warnings):
                record = next(iterator)
                if record.format != "warc":
                    # warcio also reads the older ARC format, and reads any line of five
                    # words as an ARC header: text that is not an archive would be "records".
                    return max(0, records.offset), "not a WARC record (ARC files are not read)"
                outcome = decide(record)
                missing = _missing_bytes(record)
        except StopIteration:
            return None
        except Exception as exc:  # any way warcio fails on bad bytes: said, never raised
            # The offset of the record being read (warcio moves it on once the previous
            # record is done with).
            return max(0, records.offset), _why(exc, warnings.getvalue())
        offset = records.offset
        if missing:
            said = f"cut short: {missing} of its bytes are missing"
            return offset, _one_line(said, warnings.getvalue())
        if mismatch := _block_digest_mismatch(record):
            yield Corrupt(offset, mismatch)
            continue
        yield ReadRecord(offset, outcome)


class LineTooLong(ValueError):
    """A header line longer than any real one: read on, it would be held whole in memory."""


def _refuse_long_lines(reader: Any) -> None:
    """warcio reads header lines (the record's, its HTTP response's) whole, however long:
    a line of gigabytes of `a`, a few megabytes of gzip in the file, was held in memory.
    Past `_MAX_LINE_BYTES` the line is damage instead."""
    readline = reader.readline

    def capped(length: int | None = None) -> bytes:
        limit = _MAX_LINE_BYTES + 1 if length is None else min(length, _MAX_LINE_BYTES + 1)
        line: bytes = readline(limit)
        if len(line) > _MAX_LINE_BYTES:
            raise LineTooLong(f"a line of over {_MAX_LINE_BYTES} bytes")
        return line

    reader.readline = capped


def _missing_bytes(record: ArcWarcRecord) -> int:
    """Reads what is left of the record; how many bytes its Content-Length promised and the
    file did not have."""
    stream = record.raw_stream
    while stream.read(_DRAIN_PIECE):
        pass
    return max(0, int(getattr(stream, "limit", 0) or 0))


def _block_digest_mismatch(record: ArcWarcRecord) -> str | None:
    """The record's bytes are not those its WARC-Block-Digest was made from. The payload
    digest is not checked: crawlers disagree on whether it covers a chunked body as sent or
    as de-chunked, so a mismatch there says nothing."""
    for problem in record.digest_checker.problems:
        if problem.startswith("block digest failed"):
            return f"its content is corrupt ({problem})"
    return None


def next_record_start(file: BinaryIO, after: int, *, gzipped: bool) -> int | None:
    """Offset of the first record at or after `after` that opens as one, or None."""
    file.seek(0, io.SEEK_END)
    if file.tell() <= after:
        return None
    with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if not gzipped:
            match = _PLAIN_RECORD_START.search(data, after)
            return match.start() if match else None
        position = data.find(GZIP_MAGIC, after)
        while position != -1:
            if _opens_a_warc_record(data[position : position + _DRAIN_PIECE]):
                return position
            position = data.find(GZIP_MAGIC, position + 1)
    return None


def _opens_a_warc_record(member_start: bytes) -> bool:
    """Three bytes of gzip magic also turn up inside compressed data: a real member
    decompresses, and a WARC record's starts with its version line."""
    try:
        head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(member_start, 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")


def _why(exc: Exception, warnings: str) -> str:
    if "non-chunked gzip" in str(exc):
        return (
            "the file is one gzip stream, not one gzip member per record as WARC wants: "
            "`warcio recompress FILE NEW_FILE` makes it readable"
        )
    said = str(exc)
    if "first line:" in said:  # warcio quotes the line: binary garbage, said in words here
        said = said.split("first line:")[0].strip().rstrip(",") + " (no WARC header there)"
    return _one_line(f"{type(exc).__name__}: {said}", warnings)


def _one_line(message: str, warnings: str) -> str:
    """warcio quotes the bytes it could not read: binary garbage, shown as `?`, and cut."""
    text = "".join(c if c.isprintable() else "?" for c in " ".join(f"{message} {warnings}".split()))
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."
