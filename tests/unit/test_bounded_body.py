"""An archived chunked body de-chunked within a budget: a chunk's declared size counts
before its bytes are read."""

from __future__ import annotations

import io

from newsflow_cli.bounded_body import dechunked_at_most


class EndlessZeros(io.RawIOBase):
    """A body that goes on for as long as it is read, counting what was read."""

    def __init__(self, start: bytes) -> None:
        self.start = io.BytesIO(start)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        piece = self.start.read(len(buffer)) or bytes(len(buffer))
        buffer[: len(piece)] = piece
        self.read_bytes += len(piece)
        return len(piece)


def test_chunks_are_joined_and_their_extensions_ignored() -> None:
    body = b"5\r\nhello\r\n1;name=value\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
    assert dechunked_at_most(io.BytesIO(body), 1000) == b"hello world"


def test_a_body_stored_de_chunked_under_the_header_is_taken_as_it_is() -> None:
    body = b"<html><p>stored de-chunked</p></html>"
    assert dechunked_at_most(io.BytesIO(body), 1000) == body


def test_a_chunk_declared_over_the_budget_is_refused_before_it_is_read() -> None:
    stream = EndlessZeros(b"40000000\r\n")  # one chunk of a gibibyte
    assert dechunked_at_most(io.BufferedReader(stream), 1_000_000) is None
    assert stream.read_bytes < 100_000


def test_chunks_adding_up_past_the_budget_are_refused() -> None:
    body = b"".join(b"3e8\r\n" + b"x" * 1000 + b"\r\n" for _ in range(5)) + b"0\r\n\r\n"
    assert dechunked_at_most(io.BytesIO(body), 4_999) is None
    assert dechunked_at_most(io.BytesIO(body), 5_000) == b"x" * 5_000


def test_a_body_cut_short_gives_what_came_before_the_cut() -> None:
    assert dechunked_at_most(io.BytesIO(b"5\r\nhello\r\n9\r\nwor"), 1000) == b"hellowor"
