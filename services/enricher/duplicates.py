"""Near-duplicate detection shared by every enricher replica, with its state in Redis.

An article's signature is a MinHash (128 permutations) of its word 3-shingles. Locality-
sensitive hashing cuts the signature into 32 bands of 4 values; articles that agree on a
whole band are candidates, and a candidate is a duplicate when the estimated Jaccard
similarity reaches the threshold. Each band is a Redis set of article ids under the stream
prefix, so replicas share the index and it survives restarts.

Looking up and adding happen in one Lua script: of two copies enriched at the same time
by two replicas, exactly one is first and the other is marked its duplicate.

The index is bounded in time (`NEWSFLOW_DEDUP_WINDOW_S`): the script also records when each
article was added (a sorted set), and each lookup first forgets a few articles older than the
window (their band memberships, signature and original), so the index holds about one
window's articles whatever the volume, and the cost of forgetting is spread over the lookups.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from redis.asyncio import Redis

from services.enricher.analysis import Outcome
from services.enricher.minhash import MinHash
from shared.events import ArticleEvent
from shared.settings import get_settings
from shared.streams import StreamNames

NUM_PERM: Final = 128
BANDS: Final = 32
ROWS: Final = NUM_PERM // BANDS
SHINGLE_WORDS: Final = 3
DEFAULT_THRESHOLD: Final = 0.8
# Fixed so that every process computes the same permutations.
_SEED: Final = 1
_WORD = re.compile(r"\w+")

# Articles past the window forgotten per lookup: more than arrive per lookup (one), so the
# index shrinks back to the window after a pause or a change of the window.
FORGET_PER_LOOKUP: Final = 8

# Ids read from one band at most, and in all: a band shared by hundreds of copies of one
# syndicated text would otherwise make each new copy read and compare all of them (the
# cost per article grew with the copies: 2 ms at 100 of each of six texts, 6.5 ms at 700).
# Any copy will do: a copy of a copy points at the first article anyway.
CANDIDATES_PER_BAND: Final = 16
MAX_CANDIDATES: Final = 64

# KEYS: the band keys, then the signatures hash, then the originals hash, then the sorted
# set of when each article was added.
# ARGV: article id, signature bytes, now (s), ids per band, ids in all. Returns ids sharing
# a band, before adding this one: all of them, or a random sample of a crowded band's.
_LOOKUP_AND_ADD: Final = """
local id = ARGV[1]
local per_band = tonumber(ARGV[4])
local most = tonumber(ARGV[5])
local candidates = {}
local seen = {}
local bands = #KEYS - 3
for i = 1, bands do
  local members
  if redis.call('SCARD', KEYS[i]) <= per_band then
    members = redis.call('SMEMBERS', KEYS[i])
  else
    members = redis.call('SRANDMEMBER', KEYS[i], per_band)
  end
  for _, member in ipairs(members) do
    if #candidates < most and member ~= id and not seen[member] then
      seen[member] = true
      table.insert(candidates, member)
    end
  end
end
for i = 1, bands do
  redis.call('SADD', KEYS[i], id)
end
redis.call('HSETNX', KEYS[bands + 1], id, ARGV[2])
redis.call('ZADD', KEYS[bands + 3], 'NX', ARGV[3], id)
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
    """Every article of the last `window_s` seconds (0: every article seen), in Redis under
    `<prefix>:dedup:*`."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        window_s: int = 0,
    ) -> None:
        names = StreamNames(prefix)
        self._redis = redis
        self._threshold = threshold
        self.window_s = window_s
        self._band_key = names.stream("dedup:band:{band}:{digest}")
        self._signatures = names.stream("dedup:signatures")
        self._originals = names.stream("dedup:originals")
        self._added = names.stream("dedup:added")
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
        now = time.time()
        if self.window_s > 0:
            await self.forget_older_than(now - self.window_s, FORGET_PER_LOOKUP)
        candidates = await self._script(
            keys=[*self._band_keys(values), self._signatures, self._originals, self._added],
            args=[article_id, values.tobytes(), now, CANDIDATES_PER_BAND, MAX_CANDIDATES],
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

    def _band_keys(self, values: np.ndarray) -> list[str]:
        return [self._band_key.format(band=i, digest=d) for i, d in enumerate(band_digests(values))]

    async def forget_older_than(self, cutoff: float, limit: int) -> int:
        """Forget up to `limit` articles added before `cutoff` (epoch s): they are no longer
        anyone's original. Replicas doing this at once remove the same members twice, which
        is harmless."""
        old: Any = await self._redis.zrangebyscore(
            self._added, "-inf", f"({cutoff}", start=0, num=limit
        )
        if not old:
            return 0
        stored = await self._redis.hmget(self._signatures, old)
        async with self._redis.pipeline(transaction=True) as pipe:
            for article_id, raw in zip(old, stored, strict=True):
                if raw is not None:
                    for key in self._band_keys(np.frombuffer(_bytes(raw), dtype=np.uint64)):
                        pipe.srem(key, article_id)
            pipe.hdel(self._signatures, *old)
            pipe.hdel(self._originals, *old)
            pipe.zrem(self._added, *old)
            await pipe.execute()
        return len(old)

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


def open_index(redis: Redis, prefix: str) -> DuplicateIndex:
    """The index the enricher stage opens, bounded by `NEWSFLOW_DEDUP_WINDOW_S`."""
    return DuplicateIndex(redis, prefix, window_s=get_settings().dedup_window_s)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")
