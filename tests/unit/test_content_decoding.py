"""Decoding stacked content codings a piece at a time, refusing past a decoded-size cap."""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Iterable

import brotli
import pytest

from shared.content_decoding import (
    MAX_CODINGS,
    CorruptContent,
    DecodedTooLarge,
    StreamDecoder,
    content_codings,
)
from tests.bombs import brotli_bomb, gzip_bytes, gzip_in_gzip_bomb, gzip_layers

TEXT = b"<p>An article about the council's budget vote.</p>" * 2000


def decode(encodings: list[str], chunks: Iterable[bytes], limit: int = 10_000_000) -> bytes:
    decoder = StreamDecoder(encodings, limit)
    return b"".join(piece for chunk in chunks for piece in decoder.decode(chunk))


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_content_codings_are_listed_in_decoding_order() -> None:
    assert content_codings(["gzip, br"]) == ["br", "gzip"]
    assert content_codings(["gzip", "Identity", " BR "]) == ["br", "gzip"]
    assert content_codings([]) == []


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_gzip_decodes_whatever_the_chunking(size: int) -> None:
    assert decode(["gzip"], chunked(gzip_bytes(TEXT), size)) == TEXT


def test_stacked_codings_are_undone_in_reverse() -> None:
    # Content-Encoding: gzip, br  means gzip was applied first, then brotli.
    data = brotli.compress(gzip_bytes(TEXT))
    assert decode(content_codings(["gzip, br"]), chunked(data, 100)) == TEXT


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_with_or_without_the_zlib_header(wbits: int) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    data = packer.compress(TEXT) + packer.flush()
    assert decode(["deflate"], chunked(data, 1)) == TEXT
    assert decode(["deflate"], [data]) == TEXT


def test_no_coding_passes_bytes_through() -> None:
    assert decode([], chunked(TEXT, 1000)) == TEXT


def test_the_cap_counts_decoded_bytes() -> None:
    assert len(decode(["gzip"], [gzip_bytes(TEXT)], limit=len(TEXT))) == len(TEXT)
    with pytest.raises(DecodedTooLarge):
        decode(["gzip"], [gzip_bytes(TEXT)], limit=len(TEXT) - 1)
    with pytest.raises(DecodedTooLarge):
        decode([], chunked(TEXT, 1000), limit=len(TEXT) - 1)


def test_garbage_is_corrupt_content() -> None:
    with pytest.raises(CorruptContent):
        decode(["gzip"], [b"this is not gzip at all"])
    with pytest.raises(CorruptContent):
        decode(["br"], [b"\xff" * 100])


def test_bytes_after_the_end_of_a_gzip_stream_are_dropped() -> None:
    assert decode(["gzip"], [gzip_bytes(TEXT), b"trailing junk" * 1000]) == TEXT


@pytest.mark.parametrize(
    ("encodings", "bomb"),
    [(["gzip", "gzip"], gzip_in_gzip_bomb), (["br"], brotli_bomb)],
    ids=["gzip-in-gzip", "brotli"],
)
def test_a_bomb_is_refused_before_it_takes_memory(encodings: list[str], bomb: object) -> None:
    """A GiB bomb, in one chunk as a small response arrives: refused at a 10 MB cap while
    the decoding never holds much more than that cap."""
    data = bomb()  # type: ignore[operator]
    assert len(data) < 200_000
    limit = 10 * 1024 * 1024
    tracemalloc.start()
    try:
        decoder = StreamDecoder(encodings, limit)
        body = bytearray()
        with pytest.raises(DecodedTooLarge):
            for piece in decoder.decode(data):
                body.extend(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(body) <= limit
    assert peak < 3 * limit, f"decoding peaked at {peak} bytes"


def test_the_first_limit_bytes_come_out_before_the_refusal() -> None:
    decoder = StreamDecoder(["gzip"], 1000)
    body = bytearray()
    with pytest.raises(DecodedTooLarge):
        for piece in decoder.decode(gzip_bytes(TEXT)):
            body.extend(piece)
    assert bytes(body) == TEXT[:1000]


def test_gzip_members_one_after_another_are_all_decoded() -> None:
    data = gzip_bytes(b"first ") + gzip_bytes(b"second")
    assert decode(["gzip"], [data]) == b"first second"
    assert decode(["gzip"], chunked(data, 1)) == b"first second"


def test_up_to_max_codings_stacked_are_undone_and_more_are_refused() -> None:
    assert decode(["gzip"] * MAX_CODINGS, [gzip_layers(TEXT, MAX_CODINGS)]) == TEXT
    # 1200 layers that all decode: undone one inside the other they went 1200 deep.
    codings = content_codings([", ".join(["gzip"] * 1200)])
    with pytest.raises(CorruptContent, match="stacked content codings"):
        decode(codings, [gzip_layers(TEXT, 1200)])
