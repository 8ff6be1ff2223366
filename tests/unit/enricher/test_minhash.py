"""Our MinHash gives datasketch's values (the signatures already in Redis stay comparable)."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash as DatasketchMinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enricher.minhash import MinHash, sha1_hash32


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.binary(max_size=40), max_size=120),
    num_perm=st.sampled_from([1, 16, 128]),
    seed=st.integers(0, 2**31),
)
def test_values_equal_datasketchs(values: list[bytes], num_perm: int, seed: int) -> None:
    ours = MinHash(num_perm=num_perm, seed=seed)
    ours.update_batch(values)
    theirs = DatasketchMinHash(num_perm=num_perm, seed=seed)
    theirs.update_batch(values)
    assert ours.hashvalues.dtype == theirs.hashvalues.dtype
    assert np.array_equal(ours.hashvalues, theirs.hashvalues)


def test_an_empty_batch_changes_nothing() -> None:
    minhash = MinHash(num_perm=8)
    minhash.update_batch([])
    assert (minhash.hashvalues == np.uint32(2**32 - 1)).all()


def test_sha1_hash32_is_the_digests_first_four_bytes_little_endian() -> None:
    # sha1(b"") = da39a3ee...
    assert sha1_hash32(b"") == 0xEEA339DA
