"""The story index in Redis, under `<prefix>:stories:*`, shared by every enricher replica.

- `stories:story:<id>`: the story's profile (size, time span, heaviest features), JSON
- `stories:article:<article id>`: the story the article joined (a replay finds it)
- `stories:post:<feature>`: sorted set of the stories indexed under a feature, scored by
  their last article's time, trimmed to the window and to `POSTING_CAP`
- `stories:df:<bucket>`: document frequencies of the features per window-long bucket
- `stories:version`, `stories:changed`: the commit counter, and the version at which
  each feature last had a story indexed under it (the optimistic commit's check)

Every key but the counter and `changed` (trimmed to the last `KEEP_VERSIONS` commits)
expires two quiet periods after its last write: the index is bounded by the window.
A read (snapshot and candidates) and a commit are one Lua script each (story_scripts.py):
the commit checks and writes at once, so it never interleaves with another replica's.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Final

from redis.asyncio import Redis

from services.enricher.story_index import (
    CANDIDATES,
    POSTING_CAP,
    POSTING_READ,
    Commit,
    Committed,
    Snapshot,
    posting_floor,
    window_bucket,
)
from services.enricher.story_scoring import QUERY_SIZE, StoryProfile
from services.enricher.story_scripts import CANDIDATES_READ, COMMIT, SNAPSHOT
from shared.streams import StreamNames

# Commits whose changes are remembered for the check; a read older than that conflicts.
KEEP_VERSIONS: Final = 4096
_LONG_FEATURE: Final = 64


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _profiles(ids: bytes | str, profiles: bytes | str) -> list[StoryProfile]:
    if not ids:
        return []
    return [
        StoryProfile.from_dict(story_id, raw)
        for story_id, raw in zip(_text(ids).split("\n"), json.loads(profiles), strict=True)
    ]


def _joined(features: Sequence[str]) -> str:
    return "\n".join(feature.replace("\n", " ") for feature in features)


def _key_part(feature: str) -> str:
    # Entity names can be long; a key names them by digest past a length.
    if len(feature) <= _LONG_FEATURE:
        return feature
    return feature[:2] + hashlib.blake2b(feature.encode(), digest_size=12).hexdigest()


def ttl_for(window_s: float) -> int:
    return max(1, math.ceil(2 * window_s))


class RedisStoryIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        names = StreamNames(prefix)
        self._redis = redis
        self._version = names.stream("stories:version")
        self._changed = names.stream("stories:changed")
        self._story = names.stream("stories:story:{}")
        self._article = names.stream("stories:article:{}")
        self._posting = names.stream("stories:post:{}")
        self._df = names.stream("stories:df:{}")
        self._commit = redis.register_script(COMMIT)
        self._candidates = redis.register_script(CANDIDATES_READ)
        self._snapshot = redis.register_script(SNAPSHOT)

    async def snapshot(
        self,
        article_id: str,
        duplicate_of: str | None,
        weights: Mapping[str, float],
        at: float,
        window_s: float,
    ) -> Snapshot:
        bucket = window_bucket(at, window_s)
        keys = [
            self._version,
            self._article.format(article_id),
            self._article.format(duplicate_of or article_id),
            self._df.format(bucket),
            self._df.format(bucket - 1),
        ]
        features = list(weights)
        names = [f.replace("\n", " ") for f in features]
        long_parts = [
            f"{i}={part}"
            for i, (feature, name) in enumerate(zip(features, names, strict=True), 1)
            if (part := _key_part(feature)) != name
        ]
        version, story, duplicate_story, joined, *read = await self._snapshot(
            keys=keys,
            args=[
                "\n".join(names),
                "\n".join(map(repr, weights.values())),
                self._posting.format(""),
                "\n".join(long_parts),
                QUERY_SIZE,
                posting_floor(at, window_s),
                POSTING_READ,
                CANDIDATES,
                self._story.format(""),
            ],
        )
        counts = [int(c) for c in _text(joined).split(",")]
        query: dict[str, float] = {}
        candidates: list[StoryProfile] = []
        if read:
            positions, written, ids, profiles = read
            if positions:
                query = {
                    features[int(p) - 1]: float(w)
                    for p, w in zip(
                        _text(positions).split(","), _text(written).split(","), strict=True
                    )
                }
            candidates = _profiles(ids, profiles)
        return Snapshot(
            version=int(version),
            story_of_article=_text(story) or None,
            story_of_duplicate=(_text(duplicate_story) or None) if duplicate_of else None,
            documents=counts[0],
            frequencies=dict(zip(features, counts[1:], strict=True)),
            query=query,
            candidates=candidates,
        )

    async def candidates(
        self, query: Mapping[str, float], at: float, window_s: float
    ) -> list[StoryProfile]:
        # One script: the postings' ranking and the profiles in one round trip. It names
        # the story keys it reads from their prefix (one Redis, not a cluster).
        found = await self._candidates(
            keys=[self._posting.format(_key_part(f)) for f in query],
            args=[
                posting_floor(at, window_s),
                POSTING_READ,
                CANDIDATES,
                self._story.format(""),
                *(repr(w) for w in query.values()),
            ],
        )
        return _profiles(*found)

    async def profiles(self, story_ids: Sequence[str]) -> list[StoryProfile]:
        ids = list(dict.fromkeys(story_ids))
        if not ids:
            return []
        stored = await self._redis.mget([self._story.format(s) for s in ids])
        return [
            StoryProfile.from_json(story_id, raw)
            for story_id, raw in zip(ids, stored, strict=True)
            if raw is not None
        ]

    async def commit(self, change: Commit, version: int | None) -> Committed:
        story = change.story
        query = list(change.query)
        keys = [
            self._version,
            self._changed,
            self._story.format(story.id),
            self._article.format(change.article_id),
            self._df.format(window_bucket(change.at, change.window_s)),
            *(self._posting.format(_key_part(f)) for f in query),
        ]
        args: list[str | int | float] = [
            "" if version is None else version,
            story.size - 1,
            story.to_json(),
            story.id,
            ttl_for(change.window_s),
            story.last,
            posting_floor(change.at, change.window_s),
            POSTING_CAP,
            KEEP_VERSIONS,
            _joined(query),
            _joined(change.features),
        ]
        outcome, *rest = await self._commit(keys=keys, args=args)
        result = _text(outcome)
        if result == "conflict":
            return Committed("conflict")
        return Committed("replayed" if result == "replayed" else "committed", _text(rest[0]))
