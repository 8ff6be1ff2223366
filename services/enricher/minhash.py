"""MinHash signatures, value for value what datasketch 2's `MinHash` computes (its default
"affine32" scheme), without datasketch.

datasketch imports scipy at package import (its LSH tunes parameters with
`scipy.integrate`), and scipy is 140 MB of the image; newsflow uses only the signature (its
banding lives in Redis, see duplicates.py). The tests compare the values with datasketch's.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

_MAX_HASH = np.uint32((1 << 32) - 1)
# The MurmurHash3 32-bit finalizer: mixes the input hash once before the permutations.
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def sha1_hash32(data: bytes) -> int:
    """The first four bytes of the SHA-1 digest, little-endian."""
    value: int = struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]
    return value


def _fmix(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    shift1, multiplier1, shift2, multiplier2, shift3 = _FMIX
    values = values ^ (values >> shift1)
    values = values * multiplier1
    values = values ^ (values >> shift2)
    values = values * multiplier2
    return values ^ (values >> shift3)


class MinHash:
    """A signature of `num_perm` values; `seed` fixes the permutations."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        generator = np.random.RandomState(seed)
        # Odd multipliers: h -> a * h + b (mod 2^32) is then a bijection.
        self._a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + (
            np.uint32(1)
        )
        self._b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        self.hashvalues: npt.NDArray[np.uint32] = np.full(num_perm, _MAX_HASH, dtype=np.uint32)

    def update_batch(self, values: Iterable[bytes]) -> None:
        hashes = np.array([sha1_hash32(value) for value in values], dtype=np.uint32)
        if not len(hashes):
            return
        mixed = _fmix(hashes.reshape(-1, 1))
        # uint32 arithmetic wraps around: that is the modulo 2^32.
        permuted = mixed * self._a + self._b
        self.hashvalues = np.minimum(self.hashvalues, permuted.min(axis=0))
