"""Undoing content codings (gzip, deflate, br, stacked) a bounded piece at a time.

A few KB of `Content-Encoding: gzip, gzip` or of brotli decode to a GiB. Decoding a whole
chunk before checking its size (what httpx's `aiter_bytes` does) lets such a bomb take the
memory it decodes to; here every layer hands on at most `_PIECE` bytes at a time, lazily, and
the decoded total is checked as it grows, so a bomb is refused holding no more than its cap.
Used by the fetcher on raw response bytes and by the CLI on `.gz` files.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

import brotli  # type: ignore[import-untyped]

_GZIP_MAGIC = b"\x1f\x8b"
# What one layer hands on at a time: small enough that a bomb never sits in memory whole.
_PIECE = 64 * 1024
# Real servers stack two codings at most; a header repeating `gzip` a thousand times would
# nest the layers (and the recursion through them) a thousand deep.
MAX_CODINGS = 4


class DecodedTooLarge(Exception):
    """The decoded content passed the cap."""


class CorruptContent(ValueError):
    """The bytes are not in the coding they claim."""


def content_codings(header_values: Iterable[str]) -> list[str]:
    """`Content-Encoding` values (in the order they were applied) -> the codings to undo, in
    the order to undo them. `identity` and codings we do not know are skipped, as httpx does."""
    applied = [coding.strip().lower() for value in header_values for coding in value.split(",")]
    return [coding for coding in reversed(applied) if coding in _LAYERS]


class _Layer(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes `data` yields, in pieces of about `_PIECE` at most."""
        ...


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._inflater = zlib.decompressobj(wbits)
        self._held = b""  # the start of what may be the next gzip member
        self._done = False  # the stream ended and what followed was not another member

    def feed(self, data: bytes) -> Iterator[bytes]:
        data, self._held = self._held + data, b""
        while not self._done:
            if self._inflater.eof and not self._next_member(data):
                return
            try:
                out = self._inflater.decompress(data, _PIECE)
            except zlib.error as exc:
                raise CorruptContent(f"not valid compressed data: {exc}") from exc
            if out:
                yield out
            if self._inflater.eof:
                data = self._inflater.unused_data
                continue
            data = self._inflater.unconsumed_tail
            if not data and len(out) < _PIECE:  # a full piece may have had more behind it
                return

    def _next_member(self, data: bytes) -> bool:
        """gzip allows several members one after the other (`cat a.gz b.gz`); anything else
        after the end of the stream is dropped, as browsers do."""
        if self._wbits & 16 and len(data) < len(_GZIP_MAGIC) and _GZIP_MAGIC.startswith(data):
            self._held = data  # too short to tell yet
            return False
        if self._wbits & 16 and data.startswith(_GZIP_MAGIC):
            self._inflater = zlib.decompressobj(self._wbits)
            return True
        self._done = True
        return False


class _Deflate:
    """`deflate` is meant to be zlib-wrapped, but some servers send raw deflate (so browsers,
    and httpx, accept both): the first two bytes tell which."""

    def __init__(self) -> None:
        self._head = b""
        self._inner: _Zlib | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inner is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            zlib_header = (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inner = _Zlib(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        yield from self._inner.feed(data)


class _Brotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._decompressor.is_finished():
                return
            yield self._decompressor.process(data, output_buffer_limit=_PIECE)
            # Output held back by the limit comes out with empty input, a piece at a time.
            while not self._decompressor.can_accept_more_data():
                yield self._decompressor.process(b"", output_buffer_limit=_PIECE)
        except brotli.error as exc:
            raise CorruptContent(f"not valid brotli data: {exc}") from exc


_LAYERS: dict[str, Callable[[], _Layer]] = {
    "gzip": lambda: _Zlib(zlib.MAX_WBITS | 16),
    "x-gzip": lambda: _Zlib(zlib.MAX_WBITS | 16),
    "deflate": _Deflate,
    "br": _Brotli,
}


class StreamDecoder:
    """Undoes `codings` (in undoing order, see `content_codings`) on bytes as they arrive,
    raising `DecodedTooLarge` once more than `limit` decoded bytes have come out (after
    handing on the first `limit` of them).

    Each layer is capped too, a little above `limit`: compressed data is hardly larger than
    what it decodes to, and a layer that decodes to a GiB which the next turns into nothing
    (empty deflate blocks) would otherwise burn CPU without ever passing the final cap."""

    def __init__(self, codings: Sequence[str], limit: int) -> None:
        self.limit = limit
        self._too_many = len(codings) > MAX_CODINGS
        self._layers: list[_Layer] = [_LAYERS[coding]() for coding in codings[:MAX_CODINGS]]
        self._layer_limit = limit + limit // 8 + _PIECE
        self._layer_totals = [0] * (len(self._layers) + 1)  # [0] is the raw input

    @property
    def decoded_bytes(self) -> int:
        return self._layer_totals[-1]

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of `data`, lazily: stop iterating and nothing more is decoded.
        More than `MAX_CODINGS` stacked codings are refused here, with the first bytes, where
        callers already handle content that is not in the coding it claims."""
        if self._too_many:
            raise CorruptContent(f"more than {MAX_CODINGS} stacked content codings")
        yield from self._through(0, data)

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        self._layer_totals[depth] += len(data)
        last = depth == len(self._layers)
        if self._layer_totals[depth] > (self.limit if last else self._layer_limit):
            if last:  # what fits first: a reader that only wants a prefix keeps it
                room = len(data) - (self._layer_totals[depth] - self.limit)
                if room > 0:
                    yield data[:room]
            raise DecodedTooLarge(
                f"over {self.limit} bytes once decoded"
                if last
                else f"over {self._layer_limit} bytes at coding layer {depth}"
            )
        if last:
            if data:
                yield data
            return
        for piece in self._layers[depth].feed(data):
            if piece:
                yield from self._through(depth + 1, piece)


def decode_all(chunks: Iterable[bytes], codings: Sequence[str], limit: int) -> bytes:
    """The whole decoded content of `chunks`, or `DecodedTooLarge` past `limit` bytes."""
    decoder = StreamDecoder(codings, limit)
    body = bytearray()
    for chunk in chunks:
        for piece in decoder.decode(chunk):
            body.extend(piece)
    return bytes(body)
