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
A commit is one Lua script: it checks and writes at once, so it never interleaves with
another replica's.
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
from services.enricher.story_scoring import CHANNEL_OF, QUERY_SIZE, StoryProfile
from shared.streams import StreamNames

# Commits whose changes are remembered for the check; a read older than that conflicts.
KEEP_VERSIONS: Final = 4096
_LONG_FEATURE: Final = 64

# Features travel joined by newlines, one argument (packing and parsing hundreds of
# arguments and replies was most of the client's time); `_field` keeps them newline-free.
_SPLIT: Final = """
local function split(joined)
  local out = {}
  for item in string.gmatch(joined, '[^\\n]+') do table.insert(out, item) end
  return out
end
"""

# KEYS: version, changed, story, article, df, then one posting key per query feature.
# ARGV: read version ('' = unchecked), the story's size before, profile JSON, story id,
# ttl (s), story's last time, posting floor, posting cap, kept versions, the query
# features, every feature to count.
_COMMIT: Final = (
    _SPLIT
    + """
local known = redis.call('GET', KEYS[4])
if known then return {'replayed', known} end
local query = split(ARGV[10])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] ~= '' then
  local read = tonumber(ARGV[1])
  if read < current - tonumber(ARGV[9]) then return {'conflict'} end
  for i = 1, #query do
    local changed = redis.call('ZSCORE', KEYS[2], query[i])
    if changed and tonumber(changed) > read then return {'conflict'} end
  end
  local stored = redis.call('GET', KEYS[3])
  local size = 0
  if stored then size = cjson.decode(stored)['size'] end
  if size ~= tonumber(ARGV[2]) then return {'conflict'} end
end
local ttl = tonumber(ARGV[5])
local version = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ttl)
redis.call('SET', KEYS[4], ARGV[4], 'EX', ttl)
for i = 1, #query do
  local key = KEYS[5 + i]
  redis.call('ZADD', key, ARGV[6], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[7])
  redis.call('ZREMRANGEBYRANK', key, 0, -tonumber(ARGV[8]) - 1)
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', KEYS[2], version, query[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (version - tonumber(ARGV[9])))
for _, feature in ipairs(split(ARGV[11])) do redis.call('HINCRBY', KEYS[5], feature, 1) end
redis.call('HINCRBY', KEYS[5], '#', 1)
redis.call('EXPIRE', KEYS[5], ttl)
return {'committed', ARGV[4]}
"""
)

# The `size` first of `items` in the order `before` (strict and total), as sorting them all
# and cutting would give, at a fraction of the comparisons: once `size` are kept, most
# items are out at one (sorting the 512 stories of 16 postings was a third of the read).
_FIRST: Final = """
local function first(items, size, before)
  local top = {}
  if size < 1 then return top end
  for _, item in ipairs(items) do
    local n = #top
    if n < size or before(item, top[n]) then
      if n == size then
        top[n] = nil
        n = n - 1
      end
      while n > 0 and before(item, top[n]) do
        top[n + 1] = top[n]
        n = n - 1
      end
      top[n + 1] = item
    end
  end
  return top
end
"""

# The candidates' ranking: the stories under each query feature (KEYS[i], QUERY[i] its
# weight), most shared weight first (expired ones left out): their ids joined by newlines
# and their profiles as one JSON array (two replies to parse, not two per story).
# ARGV: posting floor, stories read per posting, candidates, the story key prefix.
_RANKED: Final = """
local function ranked(KEYS, QUERY, ARGV)
  local shared = {}
  local ids = {}
  for i = 1, #KEYS do
    local weight = QUERY[i]
    local posted = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', ARGV[1], 'LIMIT', 0, ARGV[2])
    for _, story in ipairs(posted) do
      if not shared[story] then
        shared[story] = 0
        table.insert(ids, story)
      end
      shared[story] = shared[story] + weight
    end
  end
  local top = first(ids, tonumber(ARGV[3]), function(a, b)
    if shared[a] ~= shared[b] then return shared[a] > shared[b] end
    return a > b
  end)
  local ids, profiles = {}, {}
  for i = 1, #top do
    local profile = redis.call('GET', ARGV[4] .. top[i])
    if profile then
      table.insert(ids, top[i])
      table.insert(profiles, profile)
    end
  end
  return {table.concat(ids, '\\n'), '[' .. table.concat(profiles, ',') .. ']'}
end
"""

# The article's query from its raw weights and the counts read: story_scoring's
# `tfidf_vector` and `heaviest`, operation for operation in the same order, so that its
# weights come out the same doubles (the assigner checks, and reads again if not).
_QUERY: Final = (
    "local CHANNEL = {"
    + ", ".join(f"['{prefix}'] = '{name}'" for prefix, name in CHANNEL_OF.items())
    + "}"
    + """
local function weighed(features, raw, counts, size)
  local documents = counts[1]
  local vector, members, channels = {}, {}, {}
  for i = 1, #features do
    vector[i] = tonumber(raw[i]) * (math.log((documents + 1) / (counts[i + 1] + 1)) + 1.0)
    local name = CHANNEL[string.sub(features[i], 1, 1)]
    if not members[name] then
      members[name] = {}
      table.insert(channels, name)
    end
    table.insert(members[name], i)
  end
  local order = {}
  for _, name in ipairs(channels) do
    local squares = 0
    for _, i in ipairs(members[name]) do squares = squares + vector[i] * vector[i] end
    local norm = math.sqrt(squares)
    if norm ~= 0 then
      for _, i in ipairs(members[name]) do
        vector[i] = vector[i] / norm
        table.insert(order, i)
      end
    end
  end
  -- heapq.nlargest: heaviest first, the earlier of equal ones first.
  local place = {}
  for p, i in ipairs(order) do place[i] = p end
  local query = first(order, size, function(a, b)
    if vector[a] ~= vector[b] then return vector[a] > vector[b] end
    return place[a] < place[b]
  end)
  return query, vector
end
"""
)

# KEYS: version, the article's entry, the duplicated article's entry, the df buckets now
# and before. ARGV: the features, their raw weights, the posting key prefix, the key parts
# of the features whose key is not their name ("position=part"), the query size, then
# `_RANKED`'s. Returns the version, the two stories ('' for none), the document count then
# each feature's, comma-joined; unless the article has a story: the query's positions
# among the features and its weights (17 digits: exact), comma-joined, and the candidates.
_SNAPSHOT: Final = (
    _SPLIT
    + _FIRST
    + _RANKED
    + _QUERY
    + """
local features = split(ARGV[1])
local now = redis.call('HMGET', KEYS[4], '#', unpack(features))
local before = redis.call('HMGET', KEYS[5], '#', unpack(features))
local counts = {}
for i = 1, #now do counts[i] = (tonumber(now[i]) or 0) + (tonumber(before[i]) or 0) end
local story = redis.call('GET', KEYS[2]) or ''
local out = {
  redis.call('GET', KEYS[1]) or '0',
  story,
  redis.call('GET', KEYS[3]) or '',
  table.concat(counts, ','),
}
if story ~= '' then return out end
local query, vector = weighed(features, split(ARGV[2]), counts, tonumber(ARGV[5]))
local parts = {}
for _, item in ipairs(split(ARGV[4])) do
  local position, part = string.match(item, '^(%d+)=(.*)$')
  parts[tonumber(position)] = part
end
local keys, weights, written = {}, {}, {}
for p, i in ipairs(query) do
  keys[p] = ARGV[3] .. (parts[i] or features[i])
  weights[p] = vector[i]
  written[p] = string.format('%.17g', vector[i])
end
table.insert(out, table.concat(query, ','))
table.insert(out, table.concat(written, ','))
local found = ranked(keys, weights, {ARGV[6], ARGV[7], ARGV[8], ARGV[9]})
table.insert(out, found[1])
table.insert(out, found[2])
return out
"""
)

# KEYS: one posting key per query feature. ARGV: `_RANKED`'s, then the query's weights.
# The assigner's second read when the snapshot's query was not its own.
_CANDIDATES: Final = (
    _FIRST
    + _RANKED
    + """
local weights = {}
for i = 1, #KEYS do weights[i] = tonumber(ARGV[4 + i]) end
return ranked(KEYS, weights, ARGV)
"""
)


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
        self._commit = redis.register_script(_COMMIT)
        self._candidates = redis.register_script(_CANDIDATES)
        self._snapshot = redis.register_script(_SNAPSHOT)

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
