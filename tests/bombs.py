"""Compression bombs: a few KB that decode to a GiB, built fast and once per test session."""

from __future__ import annotations

import functools
import struct
import zlib

import brotli

_MIB = 1 << 20
_ZEROS = bytes(_MIB)


def gzip_of_zeros(mib: int) -> bytes:
    """A valid gzip member of `mib` MiB of zeros, built from one compressed MiB repeated:
    after a full flush a deflate block does not refer back, so the same bytes decode the
    same wherever they stand."""
    first = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = first.compress(_ZEROS) + first.flush(zlib.Z_FULL_FLUSH)
    steady = zlib.compressobj(9, zlib.DEFLATED, 31)
    steady.compress(_ZEROS)
    steady.flush(zlib.Z_FULL_FLUSH)
    block = steady.compress(_ZEROS) + steady.flush(zlib.Z_FULL_FLUSH)
    final_block = steady.flush()[:-8]  # its trailer is replaced by the whole stream's
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(_ZEROS, crc)
    trailer = struct.pack("<II", crc, (mib * _MIB) & 0xFFFFFFFF)
    return head + block * (mib - 1) + final_block + trailer


def gzip_bytes(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


@functools.cache
def gzip_in_gzip_bomb(mib: int = 1024) -> bytes:
    """`Content-Encoding: gzip, gzip`: about 2.5 KB that decode to `mib` MiB."""
    return gzip_bytes(gzip_of_zeros(mib))


@functools.cache
def brotli_bomb(mib: int = 1024) -> bytes:
    """`Content-Encoding: br`: under 200 KB that decode to `mib` MiB of zeros."""
    packer = brotli.Compressor(quality=1, lgwin=24)
    parts = [packer.process(_ZEROS) for _ in range(mib)]
    return b"".join([*parts, packer.finish()])


def gzip_layers(data: bytes, layers: int) -> bytes:
    """`data` gzipped `layers` times over, for `Content-Encoding: gzip` repeated that often:
    about 20 bytes a layer, and every layer decodes, so a decoder goes through them all."""
    for _ in range(layers):
        data = gzip_bytes(data)
    return data
