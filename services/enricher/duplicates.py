"""Near-duplicate detection shared by every enricher replica, with its state in Redis.

An article's signature is a MinHash (128 permutations) of its word 3-shingles. Locality-
sensitive hashing cuts the signature into 32 bands of 4 values; articles that agree on a
whole band are candidates, and a candidate is a duplicate when the estimated Jaccard
similarity reaches the threshold. Each band is a Redis set of article ids under the stream
prefix, so replicas share the index and it survives restarts.

Looking up and adding happen in one Lua script: of two copies enriched at the same time
by two replicas, exactly one is first and the other is marked its duplicate.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

import numpy as np
from redis.asyncio import Redis

from services.enricher.analysis import Outcome
from services.enricher.minhash import MinHash
from shared.events import ArticleEvent
from shared.streams import StreamNames

NUM_PERM: Final = 128
BANDS: Final = 32
ROWS: Final = NUM_PERM // BANDS
SHINGLE_WORDS: Final = 3
DEFAULT_THRESHOLD: Final = 0.8
# Fixed so that every process computes the same permutations.
_SEED: Final = 1
_WORD = re.compile(r"\w+")

# KEYS: the band keys, then the signatures hash, then the originals hash.
# ARGV: article id, signature bytes. Returns the ids sharing a band, before adding this one.
_LOOKUP_AND_ADD: Final = """
local id = ARGV[1]
local candidates = {}
local seen = {}
local bands = #KEYS - 2
for i = 1, bands do
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if member ~= id and not seen[member] then
      seen[member] = true
      table.insert(candidates, member)
    end
  end
end
for i = 1, bands do
  redis.call('SADD', KEYS[i], id)
end
redis.call('HSETNX', KEYS[bands + 1], id, ARGV[2])
return candidates
"""


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    original_id: str
    similarity: float


def shingles(text: str) -> set[bytes]:
    tokens = [t.lower() for t in _WORD.findall(text)]
    if len(tokens) <= SHINGLE_WORDS:
        return {" ".join(tokens).encode()} if tokens else set()
    return {
        " ".join(tokens[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(tokens) - SHINGLE_WORDS + 1)
    }


def signature(text: str) -> np.ndarray | None:
    """The MinHash values of the text's shingles; None for a text without words."""
    grams = shingles(text)
    if not grams:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch(list(grams))
    values: np.ndarray = minhash.hashvalues.astype(np.uint64)
    return values


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    return float(np.count_nonzero(a == b)) / len(a)


def band_digests(values: np.ndarray) -> list[str]:
    return [
        hashlib.blake2b(values[i * ROWS : (i + 1) * ROWS].tobytes(), digest_size=8).hexdigest()
        for i in range(BANDS)
    ]


class DuplicateIndex:
    """Every article seen so far, in Redis under `<prefix>:dedup:*`."""

    def __init__(self, redis: Redis, prefix: str, threshold: float = DEFAULT_THRESHOLD) -> None:
        names = StreamNames(prefix)
        self._redis = redis
        self._threshold = threshold
        self._band_key = names.stream("dedup:band:{band}:{digest}")
        self._signatures = names.stream("dedup:signatures")
        self._originals = names.stream("dedup:originals")
        self._script = redis.register_script(_LOOKUP_AND_ADD)

    async def close(self) -> None:
        await self._redis.aclose()

    async def analyse(self, event: ArticleEvent) -> Outcome:
        """`duplicate_of` and `similarity` of the enriched event: set when it is a copy."""
        article = event.article
        if article is None:
            return Outcome()
        text = f"{article.title}\n{article.text}" if article.title else article.text
        match = await self.check_and_add(event.id, text)
        return Outcome(
            {
                "duplicate_of": match.original_id if match else None,
                "similarity": match.similarity if match else None,
            }
        )

    async def check_and_add(self, article_id: str, text: str) -> DuplicateMatch | None:
        """The first article this one nearly duplicates, if any; then remember this one."""
        values = signature(text)
        if values is None:
            return None
        keys = [self._band_key.format(band=i, digest=d) for i, d in enumerate(band_digests(values))]
        candidates = await self._script(
            keys=[*keys, self._signatures, self._originals],
            args=[article_id, values.tobytes()],
        )
        best = await self._best_match(values, [_text(c) for c in candidates])
        if best is None:
            return None
        # A copy of a copy points at the first article, not at the copy it resembles most.
        original = await self._redis.hget(self._originals, best.original_id)
        if original is not None:
            best = DuplicateMatch(_text(original), best.similarity)
        await self._redis.hsetnx(self._originals, article_id, best.original_id)
        return best

    async def _best_match(self, values: np.ndarray, candidates: list[str]) -> DuplicateMatch | None:
        if not candidates:
            return None
        stored = await self._redis.hmget(self._signatures, candidates)
        best: DuplicateMatch | None = None
        for candidate, raw in zip(candidates, stored, strict=True):
            if raw is None:
                continue
            stored_values = np.frombuffer(_bytes(raw), dtype=np.uint64)
            score = similarity(values, stored_values)
            if score >= self._threshold and (best is None or score > best.similarity):
                best = DuplicateMatch(candidate, round(score, 4))
        return best


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")
